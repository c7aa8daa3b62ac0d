// The Function app on the Flex Consumption plan (FC1), Python 3.11. Everything reaches its
// dependencies through the user-assigned identity: the Functions host and Durable Functions
// (AzureWebJobsStorage__*), the deployment package, Application Insights, the app's own
// clients (AZURE_CLIENT_ID for DefaultAzureCredential), Service Bus and PostgreSQL.
// Flex Consumption forbids FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION,
// WEBSITE_RUN_FROM_PACKAGE and WEBSITE_CONTENTSHARE: the runtime is functionAppConfig's.

param location string
param tags object
param name string
param planName string
param identityId string
param identityClientId string
@description('The identity\'s name: its PostgreSQL role (created by the post-provision script).')
param identityName string
param blobEndpoint string
param queueEndpoint string
param tableEndpoint string
param deploymentContainerName string
param applicationInsightsConnectionString string
@allowed([
  'servicebus'
  'storage'
])
param taskQueue string
param taskQueueName string
param taskQueueMaxDeliveries int
@description('Fully-qualified Service Bus namespace; empty with Storage queues.')
param serviceBusNamespace string = ''
param postgresHost string
param postgresDatabase string
@description('Schema of the vector tables, in the catalog\'s database.')
param vectorSchema string
@description('Comma list of the containers jobs may read (DAGMASTER_INPUT_CONTAINERS).')
param inputContainers string
@description('Comma list of the containers jobs may write (DAGMASTER_OUTPUT_CONTAINERS).')
param outputContainers string
param maximumInstanceCount int = 100
param instanceMemoryMB int = 2048

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  // checkov:skip=CKV_AZURE_225: zone redundancy on Flex Consumption is regional and costs always-ready instances; a production choice
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

// What the Functions host itself reads (storage for triggers and the Durable task hub,
// telemetry), all by identity.
var hostSettings = {
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AzureWebJobsStorage__blobServiceUri: blobEndpoint
  AzureWebJobsStorage__queueServiceUri: queueEndpoint
  AzureWebJobsStorage__tableServiceUri: tableEndpoint
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  AZURE_CLIENT_ID: identityClientId
  AzureWebJobsFeatureFlags: 'EnableWorkerIndexing' // the Python v2 programming model
}

// What dagmaster's code reads (the settings catalogue; see infra/README.md).
var dagmasterSettings = {
  DAGMASTER_STORAGE_ACCOUNT_URL: blobEndpoint
  DAGMASTER_TASK_QUEUE: taskQueue
  DAGMASTER_TASK_QUEUE_NAME: taskQueueName
  DAGMASTER_TASK_QUEUE_MAX_DELIVERIES: string(taskQueueMaxDeliveries)
  DAGMASTER_PG_ENTRA: 'true'
  PGHOST: postgresHost
  PGPORT: '5432'
  PGUSER: identityName
  PGDATABASE: postgresDatabase
  DAGMASTER_STAC_INDEX: 'catalog'
  DAGMASTER_POSTGIS_URL: 'catalog' // vector tables on the catalog's connection (Entra ID)
  DAGMASTER_VECTOR_SCHEMA: vectorSchema
  DAGMASTER_INPUT_CONTAINERS: inputContainers
  DAGMASTER_OUTPUT_CONTAINERS: outputContainers
  DAGMASTER_PUBLIC_CONTAINER: 'public'
  DAGMASTER_PUBLIC_STAC_COLLECTION: 'public'
  DAGMASTER_ACCESS: 'keys' // per-platform keys and a reviewer key; never 'open' on Azure
  DAGMASTER_CONSOLE_AUTH: 'app_service'
}

var queueSettings = taskQueue == 'servicebus' ? {
  DAGMASTER_SERVICEBUS_NAMESPACE: serviceBusNamespace
} : {
  DAGMASTER_STORAGE_QUEUE_URL: queueEndpoint
}

var appSettings = union(hostSettings, dagmasterSettings, queueSettings)

resource app 'Microsoft.Web/sites@2024-04-01' = {
  // checkov:skip=CKV_AZURE_222: the HTTP API is public by design (B2B callers, function keys); no VNet in this deployment
  // checkov:skip=CKV_AZURE_17: callers authenticate with function keys, not client certificates
  // checkov:skip=CKV_AZURE_212: Flex Consumption scales instances itself; there is no instance minimum to set
  // checkov:skip=CKV_AZURE_213: Flex Consumption has no App Service health check; /api/readyz is the probe
  name: name
  location: location
  tags: union(tags, {
    'azd-service-name': 'api'
  })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      appSettings: [
        for setting in items(appSettings): {
          name: setting.key
          value: setting.value
        }
      ]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${blobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'python'
        version: '3.11'
      }
    }
  }
}

output name string = app.name
output hostName string = app.properties.defaultHostName
output url string = 'https://${app.properties.defaultHostName}'
