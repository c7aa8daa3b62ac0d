// The two user-assigned identities: one for the Function app, one for the container worker.
// User-assigned (not system-assigned) so their roles exist before the apps do: the worker's
// AcrPull must be in place when its container app is created.

param location string
param tags object
param functionIdentityName string
param workerIdentityName string

resource functionIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: functionIdentityName
  location: location
  tags: tags
}

resource workerIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: workerIdentityName
  location: location
  tags: tags
}

output functionIdentityId string = functionIdentity.id
output functionIdentityName string = functionIdentity.name
output functionClientId string = functionIdentity.properties.clientId
output functionPrincipalId string = functionIdentity.properties.principalId
output workerIdentityId string = workerIdentity.id
output workerIdentityName string = workerIdentity.name
output workerClientId string = workerIdentity.properties.clientId
output workerPrincipalId string = workerIdentity.properties.principalId
