#!/bin/sh
# azd postprovision hook: the Key Vault's secrets, then PostgreSQL roles for the two managed
# identities. azd exports main.bicep's outputs as environment variables; the deployer
# (signed in with `azd auth login` / `az login`) holds Key Vault Secrets Officer on the vault
# and is the PostgreSQL server's Entra administrator.
set -eu
cd "$(dirname "$0")/../.."
./infra/scripts/keyvault_secrets.sh
if [ ! -x .venv/bin/python ]; then
  echo "postprovision: run 'make install' first (the role script uses the app's psycopg and azure-identity)" >&2
  exit 1
fi
exec .venv/bin/python infra/scripts/postgres_roles.py
