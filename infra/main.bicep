// dagmaster on Azure: `azd up` (or `az deployment sub create -f infra/main.bicep`).
// Subscription scope: it creates the resource group, then every resource inside it.
// Identity everywhere: no account key, SAS, password or connection string is created or
// passed (see infra/README.md for what the tests check and what only a deployment shows).
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; also names the resource group and seeds resourceToken.')
param environmentName string

@minLength(1)
@description('Region of every resource (Flex Consumption must be available there).')
param location string

@description('Object id of the deployer: Entra administrator of PostgreSQL and uploader of demo inputs.')
param principalId string

@allowed([
  'User'
  'ServicePrincipal'
  'Group'
])
@description('What principalId is (a CI pipeline deploys as a ServicePrincipal).')
param principalType string = 'User'

@allowed([
  'servicebus'
  'storage'
])
@description('Heavy-task queue: Service Bus (the default on Azure) or Storage queues.')
param taskQueue string = 'servicebus'

@description('The deployer\'s public IP, let through the PostgreSQL firewall for the post-provision script; empty for none.')
param postgresClientIp string = ''

@description('The worker\'s image (azd sets SERVICE_WORKER_IMAGE_NAME after the first deploy).')
param workerImageName string = ''

@description('DDH\'s callback URL on this deployment (azd env DDH_CALLBACK_URL): non-empty sets DAGMASTER_DDH_CALLBACK_URL on the app and DAGMASTER_DDH_CALLBACK_SECRET (the signing secret, created in the vault); empty: DDH gets no callbacks and neither is set.')
param ddhCallbackUrl string = ''

@description('Application (client) id of dagmaster\'s Entra app registration: with it App Service Authentication requires an Entra token on /api/* and DAGMASTER_ACCESS is entra; empty: no App Service Authentication, DAGMASTER_ACCESS keys.')
param authClientId string = ''

@secure()
@description('The Durable extension\'s system key for the worker; infra/scripts/postdeploy.sh reads it after the first deploy.')
param durableSystemKey string = ''

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}

// Names used by more than one module, in one place.
var taskQueueName = 'dagmaster-heavy-tasks'
var taskQueueMaxDeliveries = 5
// The Service Bus message lock, which the worker renews every third of (its visibility timeout).
var taskLockSeconds = 60
var durableTaskHub = 'dagmaster' // host.json extensions.durableTask.hubName
var databaseName = 'dagmaster'
var vectorSchema = 'geo' // vector_ingest's tables, in the same database (DAGMASTER_POSTGIS_URL=catalog)
var functionAppName = '${abbrs.webSitesFunctions}${resourceToken}'
var deploymentContainerName = 'app-package-${take(resourceToken, 10)}'
var serviceBusName = '${abbrs.serviceBusNamespaces}${resourceToken}'
var useServiceBus = taskQueue == 'servicebus'
// The containers jobs may name (DAGMASTER_INPUT_CONTAINERS / DAGMASTER_OUTPUT_CONTAINERS):
// inputs are read only; handlers write to outputs only.
var inputContainers = [
  'raw'
]
var outputContainers = [
  'cogs'
  'vectors'
]
// Every container to create: the engine's own (adapters/outputs.py,
// adapters/taskqueue/base.py, container_worker/checkpoints.py), the ones above, and `public`
// for published datasets.
var appContainers = [
  'dagmaster-outputs'
  'dagmaster-payloads'
  'dagmaster-checkpoints'
  'dagmaster-tasks'
  'raw'
  'cogs'
  'vectors'
  'public'
]

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

module identities 'app/identities.bicep' = {
  name: 'identities'
  scope: rg
  params: {
    location: location
    tags: tags
    functionIdentityName: '${abbrs.managedIdentityUserAssignedIdentities}func-${resourceToken}'
    workerIdentityName: '${abbrs.managedIdentityUserAssignedIdentities}worker-${resourceToken}'
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    location: location
    tags: tags
    logAnalyticsName: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    applicationInsightsName: '${abbrs.insightsComponents}${resourceToken}'
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    location: location
    tags: tags
    name: '${abbrs.storageStorageAccounts}${resourceToken}'
    containerNames: concat(appContainers, [deploymentContainerName])
    queueNames: useServiceBus ? [] : [taskQueueName, '${taskQueueName}-poison']
  }
}

module serviceBus 'app/servicebus.bicep' = if (useServiceBus) {
  name: 'servicebus'
  scope: rg
  params: {
    location: location
    tags: tags
    name: serviceBusName
    queueName: taskQueueName
    maxDeliveryCount: taskQueueMaxDeliveries
    lockDuration: 'PT${taskLockSeconds}S'
  }
}

module postgres 'app/postgres.bicep' = {
  name: 'postgres'
  scope: rg
  params: {
    location: location
    tags: tags
    name: '${abbrs.dBforPostgreSQLServers}${resourceToken}'
    databaseName: databaseName
    administratorObjectId: principalId
    administratorName: 'dagmaster-admin-${take(resourceToken, 6)}'
    administratorType: principalType
    clientIp: postgresClientIp
  }
}

module keyVault 'app/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    location: location
    tags: tags
    name: '${abbrs.keyVaultVaults}${resourceToken}'
    logAnalyticsId: monitoring.outputs.logAnalyticsId
  }
}

module registry 'app/registry.bicep' = {
  name: 'registry'
  scope: rg
  params: {
    location: location
    tags: tags
    name: '${abbrs.containerRegistryRegistries}${resourceToken}'
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    registryName: registry.outputs.name
    keyVaultName: keyVault.outputs.name
    taskQueue: taskQueue
    serviceBusNamespaceName: serviceBusName
    serviceBusQueueName: taskQueueName
    functionPrincipalId: identities.outputs.functionPrincipalId
    workerPrincipalId: identities.outputs.workerPrincipalId
    principalId: principalId
    principalType: principalType
  }
  dependsOn: [
    serviceBus
  ]
}

module functionApp 'app/functionapp.bicep' = {
  name: 'functionapp'
  scope: rg
  params: {
    location: location
    tags: tags
    name: functionAppName
    planName: '${abbrs.webServerFarms}${resourceToken}'
    identityId: identities.outputs.functionIdentityId
    identityClientId: identities.outputs.functionClientId
    identityName: identities.outputs.functionIdentityName
    blobEndpoint: storage.outputs.blobEndpoint
    queueEndpoint: storage.outputs.queueEndpoint
    tableEndpoint: storage.outputs.tableEndpoint
    deploymentContainerName: deploymentContainerName
    applicationInsightsConnectionString: monitoring.outputs.applicationInsightsConnectionString
    taskQueue: taskQueue
    taskQueueName: taskQueueName
    taskQueueMaxDeliveries: taskQueueMaxDeliveries
    serviceBusNamespace: useServiceBus ? serviceBus.outputs.fullyQualifiedNamespace : ''
    postgresHost: postgres.outputs.host
    postgresDatabase: postgres.outputs.databaseName
    vectorSchema: vectorSchema
    inputContainers: join(inputContainers, ',')
    outputContainers: join(outputContainers, ',')
    keyVaultName: keyVault.outputs.name
    ddhCallbackUrl: ddhCallbackUrl
    authClientId: authClientId
  }
  // The host starts with its storage roles in place instead of failing its first minutes, and
  // resolves its Key Vault references with its Key Vault role in place.
  dependsOn: [
    rbac
  ]
}

module worker 'app/worker.bicep' = {
  name: 'worker'
  scope: rg
  params: {
    location: location
    tags: tags
    environmentName: '${abbrs.appManagedEnvironments}${resourceToken}'
    name: '${abbrs.appContainerApps}worker-${resourceToken}'
    logAnalyticsId: monitoring.outputs.logAnalyticsId
    identityId: identities.outputs.workerIdentityId
    identityClientId: identities.outputs.workerClientId
    identityName: identities.outputs.workerIdentityName
    registryLoginServer: registry.outputs.loginServer
    imageName: workerImageName
    blobEndpoint: storage.outputs.blobEndpoint
    queueEndpoint: storage.outputs.queueEndpoint
    storageAccountName: storage.outputs.name
    taskQueue: taskQueue
    taskQueueName: taskQueueName
    taskQueueMaxDeliveries: taskQueueMaxDeliveries
    visibilityTimeoutSeconds: taskLockSeconds
    serviceBusNamespaceName: useServiceBus ? serviceBus.outputs.namespaceName : ''
    serviceBusNamespace: useServiceBus ? serviceBus.outputs.fullyQualifiedNamespace : ''
    durableBaseUrl: functionApp.outputs.url
    durableTaskHub: durableTaskHub
    durableSystemKey: durableSystemKey
    postgresHost: postgres.outputs.host
    postgresDatabase: postgres.outputs.databaseName
    vectorSchema: vectorSchema
    inputContainers: join(inputContainers, ',')
    outputContainers: join(outputContainers, ',')
  }
  // AcrPull must be granted before the container app first pulls (else its creation fails).
  dependsOn: [
    rbac
  ]
}

// azd stores these in the environment (.azure/<env>/.env); the hooks and README use them.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_CONTAINER_REGISTRY_ENDPOINT string = registry.outputs.loginServer
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output DAGMASTER_API_URL string = functionApp.outputs.url
output AZURE_WORKER_APP_NAME string = worker.outputs.name
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_STORAGE_BLOB_ENDPOINT string = storage.outputs.blobEndpoint
output POSTGRES_HOST string = postgres.outputs.host
output POSTGRES_DATABASE string = postgres.outputs.databaseName
output POSTGRES_VECTOR_SCHEMA string = vectorSchema
output POSTGRES_ADMIN_NAME string = postgres.outputs.administratorName
output FUNCTION_IDENTITY_NAME string = identities.outputs.functionIdentityName
output FUNCTION_IDENTITY_PRINCIPAL_ID string = identities.outputs.functionPrincipalId
output WORKER_IDENTITY_NAME string = identities.outputs.workerIdentityName
output WORKER_IDENTITY_PRINCIPAL_ID string = identities.outputs.workerPrincipalId
output DAGMASTER_TASK_QUEUE string = taskQueue
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_KEY_VAULT_SECRETS string = functionApp.outputs.vaultSecretNames
