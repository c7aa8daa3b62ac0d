// The Function app on the Flex Consumption plan (FC1), Python 3.11. Everything reaches its
// dependencies through the user-assigned identity: the Functions host and Durable Functions
// (AzureWebJobsStorage__*), the deployment package, Application Insights, the app's own
// clients (AZURE_CLIENT_ID for DefaultAzureCredential), Service Bus, PostgreSQL and the Key
// Vault references of its secrets (keyVaultReferenceIdentity).
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
@description('The vault of the app\'s secrets (keyvault.bicep), read through Key Vault references.')
param keyVaultName string
@description('DDH\'s callback URL on this deployment (DAGMASTER_DDH_CALLBACK_URL, the url_setting DDH\'s registry entry names): non-empty also sets DAGMASTER_DDH_CALLBACK_SECRET (its secret_setting) and has the hook create that secret; empty: DDH gets no callbacks.')
param ddhCallbackUrl string = ''
@description('Application (client) id of dagmaster\'s Entra app registration, the audience of callers\' tokens; empty: no App Service Authentication.')
param authClientId string = ''
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
  // Callers named by their Entra token when App Service Authentication checks one, else by
  // their key (X-Dagmaster-Key); never 'open' on Azure.
  DAGMASTER_ACCESS: empty(authClientId) ? 'keys' : 'entra'
  DAGMASTER_CONSOLE_AUTH: 'app_service'
}

// Secrets are Key Vault references, never values: infra/scripts/keyvault_secrets.sh creates
// each secret (a random value) when it is missing. The vault's secret names, in one place:
var secretNames = {
  reviewerKey: 'reviewer-key'
  ddhApiKey: 'ddh-api-key'
  ddhCallbackSecret: 'ddh-callback-secret'
}

var secretSettings = {
  DAGMASTER_REVIEWER_KEY: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=${secretNames.reviewerKey})'
}

// The settings the platform registry (platforms/*.yaml) names: a platform's API key
// (api_key_setting), its callback URL (callback.url_setting) and signing secret
// (callback.secret_setting).
var platformKeySettings = {
  DAGMASTER_DDH_API_KEY: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=${secretNames.ddhApiKey})'
}

// DDH's callback URL is no secret: a plain value, set with its signing secret or not at all.
var ddhCallback = !empty(ddhCallbackUrl)
var platformCallbackSettings = ddhCallback ? {
  DAGMASTER_DDH_CALLBACK_URL: ddhCallbackUrl
  DAGMASTER_DDH_CALLBACK_SECRET: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=${secretNames.ddhCallbackSecret})'
} : {}

// What the hook creates: every secret a reference above names.
var vaultSecrets = ddhCallback ? [
  secretNames.reviewerKey
  secretNames.ddhApiKey
  secretNames.ddhCallbackSecret
] : [
  secretNames.reviewerKey
  secretNames.ddhApiKey
]

var queueSettings = taskQueue == 'servicebus' ? {
  DAGMASTER_SERVICEBUS_NAMESPACE: serviceBusNamespace
} : {
  DAGMASTER_STORAGE_QUEUE_URL: queueEndpoint
}

var appSettings = union(hostSettings, dagmasterSettings, queueSettings, secretSettings, platformKeySettings, platformCallbackSettings)

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
    keyVaultReferenceIdentity: identityId
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

// App Service Authentication (Easy Auth) with Entra ID, when an app registration is given.
// authsettingsV2 has one action for unauthenticated requests, not one per path: Return401
// for the API; the console's pages are excluded and send a browser that is not signed in to
// /.auth/login/aad themselves (console/security.py). The probes are anonymous, and the
// Durable HTTP API keeps its system key (the worker raises events with it, not a token).
resource auth 'Microsoft.Web/sites/config@2024-04-01' = if (!empty(authClientId)) {
  // checkov judges every sites/config as the site's `web` config; these are about that one, or (13) about v1 authsettings' `enabled`, which V2 holds in platform.enabled:
  // checkov:skip=CKV_AZURE_13: this is authsettingsV2, enabled through platform.enabled (checkov reads v1's properties.enabled)
  // checkov:skip=CKV_AZURE_222: public network access is the site's property (skipped there: B2B callers, no VNet), not this config's
  // checkov:skip=CKV_AZURE_63: HTTP logging is a `web` config setting, not an authsettingsV2 one
  // checkov:skip=CKV_AZURE_65: detailed error messages are a `web` config setting, not an authsettingsV2 one
  // checkov:skip=CKV_AZURE_66: failed request tracing is a `web` config setting, not an authsettingsV2 one
  // checkov:skip=CKV_AZURE_80: .NET Framework version is a `web` config setting; this app is Python
  // checkov:skip=CKV_AZURE_88: Azure Files mounts are an `azurestorageaccounts` config, not an authsettingsV2 one
  parent: app
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'Return401'
      excludedPaths: [
        '/api/livez'
        '/api/readyz'
        '/api/health'
        '/ui'
        '/ui/*'
        '/runtime/webhooks/durabletask/*'
      ]
    }
    httpSettings: {
      requireHttps: true
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: authClientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
        }
        validation: {
          allowedAudiences: [
            'api://${authClientId}'
            authClientId
          ]
        }
      }
    }
  }
}

output name string = app.name
output hostName string = app.properties.defaultHostName
output url string = 'https://${app.properties.defaultHostName}'
// Space-separated, for the post-provision hook (main.bicep's AZURE_KEY_VAULT_SECRETS).
output vaultSecretNames string = join(vaultSecrets, ' ')
