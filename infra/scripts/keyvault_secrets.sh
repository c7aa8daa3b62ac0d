#!/bin/sh
# azd postprovision hook (run by postprovision.sh): create each secret the Function app's Key
# Vault references name, with a random value, when it does not exist yet. An existing secret
# is never touched, so running it again (every `azd provision`) changes nothing; rotate a
# secret by setting a new version yourself (infra/README.md, "Secrets").
# The deployer holds Key Vault Secrets Officer on the vault (rbac.bicep); a fresh role
# assignment can take minutes to apply, so a refusal is retried, and any answer other than
# "not found" stops the hook without writing anything.
set -eu
: "${AZURE_KEY_VAULT_NAME:?run azd provision first}"
: "${AZURE_KEY_VAULT_SECRETS:?run azd provision first}"
: "${AZURE_RESOURCE_GROUP:?run azd provision first}"
: "${AZURE_FUNCTION_APP_NAME:?run azd provision first}"
attempts=${KEYVAULT_HOOK_ATTEMPTS:-10}
pause=${KEYVAULT_HOOK_PAUSE_SECONDS:-15}

# Prints "present" or "missing"; fails on any other answer, after the retries.
state() {
  n=1
  while :; do
    if answer=$(az keyvault secret show --vault-name "$AZURE_KEY_VAULT_NAME" --name "$1" \
      --query id --output tsv 2>&1); then
      echo present
      return 0
    fi
    case $answer in
      *SecretNotFound*)
        echo missing
        return 0
        ;;
    esac
    if [ "$n" -ge "$attempts" ]; then
      echo "keyvault: cannot tell whether $1 exists in $AZURE_KEY_VAULT_NAME: $answer" >&2
      return 1
    fi
    echo "keyvault: $1: no answer yet (attempt $n of $attempts); waiting ${pause}s" >&2
    n=$((n + 1))
    sleep "$pause"
  done
}

created=0
for name in $AZURE_KEY_VAULT_SECRETS; do
  found=$(state "$name")
  if [ "$found" = present ]; then
    echo "keyvault: $name exists; left as it is"
    continue
  fi
  az keyvault secret set --vault-name "$AZURE_KEY_VAULT_NAME" --name "$name" \
    --value "$(openssl rand -hex 32)" --content-type "text/plain" --output none
  echo "keyvault: $name created"
  created=$((created + 1))
done

# References resolve when the app (re)starts; a new secret is read now rather than later.
if [ "$created" -gt 0 ]; then
  az functionapp restart --resource-group "$AZURE_RESOURCE_GROUP" \
    --name "$AZURE_FUNCTION_APP_NAME" --output none
  echo "keyvault: $created secret(s) created; $AZURE_FUNCTION_APP_NAME restarted to read them"
fi
