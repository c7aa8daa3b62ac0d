// The Container Registry the worker's image is pushed to (azd deploy) and pulled from
// (the worker's identity, AcrPull). The admin user is off: no registry password exists.

param location string
param tags object
param name string

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  // checkov:skip=CKV_AZURE_139: private registry networking needs Premium and a VNet; pulls are AcrPull by identity
  // checkov:skip=CKV_AZURE_163: image scanning is Defender for Containers, a subscription-level choice
  // checkov:skip=CKV_AZURE_166: quarantine needs Premium; the worker runs only images azd pushed
  name: name
  location: location
  tags: tags
  sku: {
    name: 'Basic'
  }
  properties: {
    adminUserEnabled: false
    anonymousPullEnabled: false
    publicNetworkAccess: 'Enabled'
  }
}

output name string = registry.name
output loginServer string = registry.properties.loginServer
