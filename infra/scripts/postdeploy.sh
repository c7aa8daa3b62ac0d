#!/bin/sh
# azd postdeploy hook: hand the worker the Durable extension's system key.
#
# The worker raises external events on the Durable HTTP API, which takes the
# `durabletask_extension` system key (`code=`). No identity grants it, and the key exists only
# once the app's code has started, so it is read here, after the deploy, and kept in two places:
#   * the azd environment (DURABLE_SYSTEM_KEY), which main.parameters.json passes to the
#     next provision as the secure parameter durableSystemKey (a container app secret);
#   * the running worker now, as the secret durable-system-key behind
#     DAGMASTER_DURABLE_SYSTEM_KEY.
set -eu
: "${AZURE_RESOURCE_GROUP:?run azd provision first}"
: "${AZURE_FUNCTION_APP_NAME:?run azd provision first}"
: "${AZURE_WORKER_APP_NAME:?run azd provision first}"
: "${DAGMASTER_API_URL:?run azd provision first}"

key=""
for attempt in 1 2 3 4 5 6 7 8 9 10; do
  # A request starts the host (Flex scales from zero); the extension then registers its key.
  curl -fsS -o /dev/null "$DAGMASTER_API_URL/api/livez" || true
  key=$(az functionapp keys list -g "$AZURE_RESOURCE_GROUP" -n "$AZURE_FUNCTION_APP_NAME" \
    --query "systemKeys.durabletask_extension" -o tsv 2>/dev/null || true)
  [ -n "$key" ] && break
  echo "postdeploy: durabletask_extension key not there yet (attempt $attempt); waiting"
  sleep 15
done
if [ -z "$key" ]; then
  echo "postdeploy: no durabletask_extension system key on $AZURE_FUNCTION_APP_NAME; is the app running?" >&2
  exit 1
fi

azd env set DURABLE_SYSTEM_KEY "$key" >/dev/null
az containerapp secret set -g "$AZURE_RESOURCE_GROUP" -n "$AZURE_WORKER_APP_NAME" \
  --secrets "durable-system-key=$key" --output none
az containerapp update -g "$AZURE_RESOURCE_GROUP" -n "$AZURE_WORKER_APP_NAME" \
  --set-env-vars "DAGMASTER_DURABLE_SYSTEM_KEY=secretref:durable-system-key" --output none
echo "postdeploy: the worker has DAGMASTER_DURABLE_SYSTEM_KEY (secret durable-system-key)"
