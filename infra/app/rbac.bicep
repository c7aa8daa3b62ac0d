// Every role assignment of the deployment, in one place. Least privilege per identity:
//
//   Function app identity  Storage Blob Data Owner, Storage Queue Data Contributor and
//                          Storage Table Data Contributor on the account (the Functions host
//                          and Durable Functions' task hub need all three; Blob Data Owner is
//                          what the host's identity-based AzureWebJobsStorage documents);
//                          Azure Service Bus Data Sender on the heavy-task queue only;
//                          Monitoring Metrics Publisher on Application Insights;
//                          Key Vault Secrets User on the vault (its Key Vault references).
//   Worker identity        Storage Blob Data Contributor on the account (payloads, inputs,
//                          COGs, checkpoints); Azure Service Bus Data Receiver on the queue,
//                          or Storage Queue Data Contributor with Storage queues; AcrPull on
//                          the registry; see scalerNeedsManage for KEDA.
//   Deployer (principalId) Storage Blob Data Contributor, to upload demo inputs; Key Vault
//                          Secrets Officer on the vault, for the post-provision hook that
//                          creates the secrets (infra/scripts/keyvault_secrets.sh).
//
// Role GUIDs are Azure built-in roles, each named beside its GUID (checked by
// tests/infra/test_settings_contract.py).

param storageAccountName string
param applicationInsightsName string
param registryName string
param keyVaultName string
@allowed([
  'servicebus'
  'storage'
])
param taskQueue string
@description('Service Bus namespace name (a name even with Storage queues: only ids are built from it then).')
param serviceBusNamespaceName string
param serviceBusQueueName string
param functionPrincipalId string
param workerPrincipalId string
@description('The deployer (azd\'s AZURE_PRINCIPAL_ID); empty for none.')
param principalId string = ''
param principalType string = 'User'
@description('KEDA\'s Service Bus scaler reads queue length through the management endpoint, which takes Manage rights: with true the worker identity holds Azure Service Bus Data Owner on the heavy-task queue (that queue only).')
param scalerNeedsManage bool = true

var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b' // Storage Blob Data Owner
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe' // Storage Blob Data Contributor
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88' // Storage Queue Data Contributor
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3' // Storage Table Data Contributor
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb' // Monitoring Metrics Publisher
  serviceBusDataSender: '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39' // Azure Service Bus Data Sender
  serviceBusDataReceiver: '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0' // Azure Service Bus Data Receiver
  serviceBusDataOwner: '090c5cfd-751d-490a-894a-3ce6f1109419' // Azure Service Bus Data Owner
  acrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d' // AcrPull
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6' // Key Vault Secrets User
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7' // Key Vault Secrets Officer
}

var useServiceBus = taskQueue == 'servicebus'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = {
  name: registryName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource serviceBus 'Microsoft.ServiceBus/namespaces@2022-10-01-preview' existing = {
  name: serviceBusNamespaceName
}

resource heavyQueue 'Microsoft.ServiceBus/namespaces/queues@2022-10-01-preview' existing = {
  parent: serviceBus
  name: serviceBusQueueName
}

// --- Function app identity -------------------------------------------------------------

resource functionBlob 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, functionPrincipalId, roles.storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource functionQueue 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, functionPrincipalId, roles.storageQueueDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource functionTable 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, functionPrincipalId, roles.storageTableDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource functionTelemetry 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, functionPrincipalId, roles.monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource functionSend 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (useServiceBus) {
  name: guid(heavyQueue.id, functionPrincipalId, roles.serviceBusDataSender)
  scope: heavyQueue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataSender)
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// The vault holds only this deployment's secrets, which the hook (not Bicep) creates: the
// role is on the vault, as there is no secret resource here to scope it to.
resource functionSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, functionPrincipalId, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// --- Worker identity -------------------------------------------------------------------

resource workerPull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, workerPrincipalId, roles.acrPull)
  scope: registry
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.acrPull)
    principalId: workerPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource workerBlob 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, workerPrincipalId, roles.storageBlobDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
    principalId: workerPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource workerReceive 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (useServiceBus) {
  name: guid(heavyQueue.id, workerPrincipalId, roles.serviceBusDataReceiver)
  scope: heavyQueue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataReceiver)
    principalId: workerPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource workerScaler 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (useServiceBus && scalerNeedsManage) {
  name: guid(heavyQueue.id, workerPrincipalId, roles.serviceBusDataOwner)
  scope: heavyQueue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataOwner)
    principalId: workerPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource workerStorageQueue 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!useServiceBus) {
  name: guid(storage.id, workerPrincipalId, roles.storageQueueDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
    principalId: workerPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// --- Deployer --------------------------------------------------------------------------

resource deployerBlob 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(principalId)) {
  name: guid(storage.id, principalId, roles.storageBlobDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
    principalId: principalId
    principalType: principalType
  }
}

resource deployerSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(principalId)) {
  name: guid(vault.id, principalId, roles.keyVaultSecretsOfficer)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer)
    principalId: principalId
    principalType: principalType
  }
}

// For dependsOn in main.bicep: the worker's app must not be created before it can pull.
output acrPullAssignmentId string = workerPull.id
