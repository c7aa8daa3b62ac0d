// Service Bus: the heavy-task queue between the Function app (sends) and the worker (receives).
// Local (SAS) auth is off: only Entra identities with a data role reach the queue.

param location string
param tags object
param name string
param queueName string
@description('Deliveries before Service Bus dead-letters a message; the app settings use the same number.')
param maxDeliveryCount int
@description('Message lock; the worker renews it every third of DAGMASTER_WORKER_VISIBILITY_TIMEOUT_SECONDS.')
param lockDuration string = 'PT1M'

resource namespace 'Microsoft.ServiceBus/namespaces@2022-10-01-preview' = {
  name: name
  location: location
  tags: tags
  // Standard: duplicate detection, which drops a task dispatched twice (message_id = task key).
  sku: {
    name: 'Standard'
    tier: 'Standard'
  }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
  }
}

resource queue 'Microsoft.ServiceBus/namespaces/queues@2022-10-01-preview' = {
  parent: namespace
  name: queueName
  properties: {
    lockDuration: lockDuration
    maxDeliveryCount: maxDeliveryCount
    deadLetteringOnMessageExpiration: true
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: 'PT1H'
    defaultMessageTimeToLive: 'P7D'
    enablePartitioning: false
  }
}

output namespaceName string = namespace.name
// serviceBusEndpoint is https://<name>.servicebus.windows.net:443/; clients want the host alone.
output fullyQualifiedNamespace string = split(replace(namespace.properties.serviceBusEndpoint, 'https://', ''), ':')[0]
output queueName string = queue.name
