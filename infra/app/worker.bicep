// The heavy-task worker on Azure Container Apps: no ingress, scaled from zero by KEDA on the
// length of the heavy-task queue, authenticated everywhere by the worker's identity (the
// scale rule, the registry pull, and DefaultAzureCredential through AZURE_CLIENT_ID).
// Its AcrPull role must exist before this app is created: main.bicep orders it after rbac.

param location string
param tags object
param environmentName string
param name string
param logAnalyticsId string
param identityId string
param identityClientId string
@description('The identity\'s name: its PostgreSQL role (created by the post-provision script).')
param identityName string
param registryLoginServer string
@description('Image to run; empty on the first provision, before azd has pushed one.')
param imageName string = ''
param blobEndpoint string
param queueEndpoint string
param storageAccountName string
@allowed([
  'servicebus'
  'storage'
])
param taskQueue string
param taskQueueName string
param taskQueueMaxDeliveries int
@description('Service Bus namespace name (for the scaler); empty with Storage queues.')
param serviceBusNamespaceName string = ''
@description('Fully-qualified Service Bus namespace (for the worker); empty with Storage queues.')
param serviceBusNamespace string = ''
@description('The Function app origin the worker raises events on, e.g. https://func-x.azurewebsites.net.')
param durableBaseUrl string
param durableTaskHub string
@secure()
@description('The Durable extension\'s system key (durabletask_extension); empty until the post-deploy step has read it.')
param durableSystemKey string = ''
param postgresHost string
param postgresDatabase string
@description('Schema of the vector tables, in the catalog\'s database.')
param vectorSchema string
@description('Comma list of the containers jobs may read (DAGMASTER_INPUT_CONTAINERS).')
param inputContainers string
@description('Comma list of the containers jobs may write (DAGMASTER_OUTPUT_CONTAINERS).')
param outputContainers string
@description('Message lock in seconds; the worker renews every third of it.')
param visibilityTimeoutSeconds int = 60
param concurrency int = 1
param maxReplicas int = 10
param cpu string = '1.0'
param memory string = '2Gi'

// A public placeholder lets the first provision succeed before any image is pushed.
var image = empty(imageName) ? 'mcr.microsoft.com/k8se/quickstart:latest' : imageName
var hasKey = !empty(durableSystemKey)

resource environment 'Microsoft.App/managedEnvironments@2025-01-01' = {
  name: environmentName
  location: location
  tags: tags
  properties: {
    // Logs reach the workspace through the diagnostic setting below: no workspace key here.
    appLogsConfiguration: {
      destination: 'azure-monitor'
    }
  }
}

resource environmentLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'logs-to-workspace'
  scope: environment
  properties: {
    workspaceId: logAnalyticsId
    logs: [
      {
        categoryGroup: 'allLogs'
        enabled: true
      }
    ]
  }
}

var baseEnv = [
  {
    name: 'AZURE_CLIENT_ID'
    value: identityClientId
  }
  {
    name: 'DAGMASTER_TASK_QUEUE'
    value: taskQueue
  }
  {
    name: 'DAGMASTER_TASK_QUEUE_NAME'
    value: taskQueueName
  }
  {
    name: 'DAGMASTER_TASK_QUEUE_MAX_DELIVERIES'
    value: string(taskQueueMaxDeliveries)
  }
  {
    name: 'DAGMASTER_STORAGE_ACCOUNT_URL'
    value: blobEndpoint
  }
  {
    name: 'DAGMASTER_DURABLE_BASE_URL'
    value: durableBaseUrl
  }
  {
    name: 'DAGMASTER_DURABLE_TASK_HUB'
    value: durableTaskHub
  }
  {
    name: 'DAGMASTER_WORKER_CONCURRENCY'
    value: string(concurrency)
  }
  {
    name: 'DAGMASTER_WORKER_VISIBILITY_TIMEOUT_SECONDS'
    value: string(visibilityTimeoutSeconds)
  }
  {
    name: 'DAGMASTER_PG_ENTRA'
    value: 'true'
  }
  {
    name: 'PGHOST'
    value: postgresHost
  }
  {
    name: 'PGPORT'
    value: '5432'
  }
  {
    name: 'PGUSER'
    value: identityName
  }
  {
    name: 'PGDATABASE'
    value: postgresDatabase
  }
  {
    name: 'DAGMASTER_STAC_INDEX'
    value: 'catalog'
  }
  {
    // vector tables on the catalog's connection (Entra ID)
    name: 'DAGMASTER_POSTGIS_URL'
    value: 'catalog'
  }
  {
    name: 'DAGMASTER_VECTOR_SCHEMA'
    value: vectorSchema
  }
  {
    name: 'DAGMASTER_INPUT_CONTAINERS'
    value: inputContainers
  }
  {
    name: 'DAGMASTER_OUTPUT_CONTAINERS'
    value: outputContainers
  }
  {
    name: 'DAGMASTER_PUBLIC_CONTAINER'
    value: 'public'
  }
  {
    name: 'DAGMASTER_PUBLIC_STAC_COLLECTION'
    value: 'public'
  }
]

var queueEnv = taskQueue == 'servicebus' ? [
  {
    name: 'DAGMASTER_SERVICEBUS_NAMESPACE'
    value: serviceBusNamespace
  }
] : [
  {
    name: 'DAGMASTER_STORAGE_QUEUE_URL'
    value: queueEndpoint
  }
]

var keyEnv = hasKey ? [
  {
    name: 'DAGMASTER_DURABLE_SYSTEM_KEY'
    secretRef: 'durable-system-key'
  }
] : []

var keySecrets = hasKey ? [
  {
    name: 'durable-system-key'
    value: durableSystemKey
  }
] : []

// KEDA reads the queue's length with the worker's identity (see rbac.bicep for its role).
var serviceBusRule = {
  name: 'heavy-tasks'
  custom: {
    type: 'azure-servicebus'
    identity: identityId
    metadata: {
      namespace: serviceBusNamespaceName
      queueName: taskQueueName
      messageCount: string(concurrency)
    }
  }
}

var storageQueueRule = {
  name: 'heavy-tasks'
  custom: {
    type: 'azure-queue'
    identity: identityId
    metadata: {
      accountName: storageAccountName
      queueName: taskQueueName
      queueLength: string(concurrency)
    }
  }
}

resource worker 'Microsoft.App/containerApps@2025-01-01' = {
  name: name
  location: location
  tags: union(tags, {
    'azd-service-name': 'worker'
  })
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    managedEnvironmentId: environment.id
    configuration: {
      activeRevisionsMode: 'Single'
      secrets: keySecrets
      registries: [
        {
          server: registryLoginServer
          identity: identityId
        }
      ]
    }
    template: {
      // SIGTERM makes the worker hand its tasks back; give a running task time to stop.
      terminationGracePeriodSeconds: 120
      containers: [
        {
          name: 'worker'
          image: image
          env: concat(baseEnv, queueEnv, keyEnv)
          resources: {
            cpu: json(cpu)
            memory: memory
          }
        }
      ]
      scale: {
        minReplicas: 0
        maxReplicas: maxReplicas
        rules: [
          taskQueue == 'servicebus' ? serviceBusRule : storageQueueRule
        ]
      }
    }
  }
}

output name string = worker.name
output environmentName string = environment.name
