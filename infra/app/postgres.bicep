// Azure Database for PostgreSQL Flexible Server with Microsoft Entra ID authentication only
// (password auth off, so there is no admin password anywhere). The deployer is the Entra
// administrator; infra/scripts/postgres_roles.py (post-provision) creates a role for each
// managed identity and grants it what it needs.

param location string
param tags object
param name string
param databaseName string
@description('Object id of the Entra administrator (the deployer).')
param administratorObjectId string
@description('Name of the administrator role in PostgreSQL (any name; it is mapped to the object id).')
param administratorName string
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param administratorType string = 'User'
@description('An IP address allowed through the firewall (the deployer, for the post-provision script); empty for none.')
param clientIp string = ''
param version string = '16'
param skuName string = 'Standard_B1ms'
param skuTier string = 'Burstable'

resource server 'Microsoft.DBforPostgreSQL/flexibleServers@2024-08-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: skuName
    tier: skuTier
  }
  properties: {
    version: version
    storage: {
      storageSizeGB: 32
      autoGrow: 'Enabled'
    }
    backup: {
      backupRetentionDays: 7
      geoRedundantBackup: 'Disabled'
    }
    highAvailability: {
      mode: 'Disabled'
    }
    authConfig: {
      activeDirectoryAuth: 'Enabled'
      passwordAuth: 'Disabled'
      tenantId: subscription().tenantId
    }
  }
}

// Flex Consumption apps without a virtual network leave from Azure's shared outbound
// addresses: the 0.0.0.0 rule admits Azure services (Entra auth still decides who gets in).
resource allowAzure 'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules@2024-08-01' = {
  parent: server
  name: 'allow-azure-services'
  properties: {
    startIpAddress: '0.0.0.0'
    endIpAddress: '0.0.0.0'
  }
}

resource allowClient 'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules@2024-08-01' = if (!empty(clientIp)) {
  parent: server
  name: 'allow-deployer'
  properties: {
    startIpAddress: clientIp
    endIpAddress: clientIp
  }
  // One change at a time: the server refuses concurrent configuration changes.
  dependsOn: [
    allowAzure
  ]
}

// Created after the server (and its firewall rules), not as a nested child: the API
// rejects an administrator while the server is still being configured.
resource administrator 'Microsoft.DBforPostgreSQL/flexibleServers/administrators@2024-08-01' = {
  parent: server
  name: administratorObjectId
  properties: {
    principalName: administratorName
    principalType: administratorType
    tenantId: subscription().tenantId
  }
  dependsOn: [
    allowAzure
    allowClient
  ]
}

resource database 'Microsoft.DBforPostgreSQL/flexibleServers/databases@2024-08-01' = {
  parent: server
  name: databaseName
  properties: {
    charset: 'UTF8'
    collation: 'en_US.utf8'
  }
  dependsOn: [
    administrator
  ]
}

// PostGIS for the vector tables: extensions must be allow-listed before CREATE EXTENSION.
resource extensions 'Microsoft.DBforPostgreSQL/flexibleServers/configurations@2024-08-01' = {
  parent: server
  name: 'azure.extensions'
  properties: {
    value: 'POSTGIS'
    source: 'user-override'
  }
  dependsOn: [
    database
  ]
}

output name string = server.name
output host string = server.properties.fullyQualifiedDomainName
output databaseName string = database.name
output administratorName string = administratorName
