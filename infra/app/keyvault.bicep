// The Key Vault of dagmaster's few secrets: the reviewers' key, each platform's API key and
// callback signing secret. The Function app reads them as Key Vault references
// (functionapp.bicep); their values are made by infra/scripts/keyvault_secrets.sh, never
// written in Bicep. RBAC only (no access policies): the Function app's identity holds Key
// Vault Secrets User, the deployer Key Vault Secrets Officer (rbac.bicep).
// Purge protection: a deleted vault stays soft-deleted for its retention and its name
// cannot be reused meanwhile (see infra/README.md).

param location string
param tags object
param name string
param logAnalyticsId string
@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int = 90

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  // checkov:skip=CKV_AZURE_109: no VNet here: Flex Consumption reads references over the public endpoint; Entra ID RBAC guards it
  // checkov:skip=CKV_AZURE_189: same reason: public network access, RBAC authorization only
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    enablePurgeProtection: true
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

// Who read or changed which secret (AuditEvent), into the deployment's workspace.
resource vaultLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'logs-to-workspace'
  scope: vault
  properties: {
    workspaceId: logAnalyticsId
    logs: [
      {
        categoryGroup: 'audit'
        enabled: true
      }
    ]
    metrics: [
      {
        category: 'AllMetrics'
        enabled: true
      }
    ]
  }
}

output name string = vault.name
output uri string = vault.properties.vaultUri
