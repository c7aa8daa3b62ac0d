"""The durable client binding string injected into `durable_client_input` functions.

Contract: the JSON matches what the Durable extension injects, with every URL pointing at
this devhost: management URLs at the public webhook base (with the system key when keys are
required), `rpcBaseUrl` at `/durabletask/<per-process secret>/` (same handlers), so the
SDK's unmodified `DurableOrchestrationClient` works. On Azure `rpcBaseUrl` is a listener
only the host's own processes reach; here the secret plays that part (see `rpc_base`).
"""

from __future__ import annotations

import json

from devhost.keys import HostKeys
from devhost.settings import DevhostSettings

INSTANCE_PLACEHOLDER = "INSTANCEID"


def webhook_base(settings: DevhostSettings) -> str:
    return f"{settings.origin}/runtime/webhooks/durabletask"


RPC_PREFIX = "/durabletask"


def rpc_base(settings: DevhostSettings) -> str:
    """The path the SDK's client calls: unknown to anyone but the code devhost runs."""
    return f"{RPC_PREFIX}/{settings.rpc_token}"


def required_query(settings: DevhostSettings, keys: HostKeys) -> str:
    return f"code={keys.durable_system}" if settings.require_keys else ""


def management_urls(
    settings: DevhostSettings, keys: HostKeys, task_hub: str, connection: str = "Storage"
) -> dict[str, str]:
    base = f"{webhook_base(settings)}/instances/{INSTANCE_PLACEHOLDER}"
    query = f"taskHub={task_hub}&connection={connection}"
    code = required_query(settings, keys)
    if code:
        query += f"&{code}"
    return {
        "id": INSTANCE_PLACEHOLDER,
        "statusQueryGetUri": f"{base}?{query}",
        "sendEventPostUri": f"{base}/raiseEvent/{{eventName}}?{query}",
        "terminatePostUri": f"{base}/terminate?reason={{text}}&{query}",
        "rewindPostUri": f"{base}/rewind?reason={{text}}&{query}",
        "purgeHistoryDeleteUri": f"{base}?{query}",
        "restartPostUri": f"{base}/restart?{query}",
        "suspendPostUri": f"{base}/suspend?reason={{text}}&{query}",
        "resumePostUri": f"{base}/resume?reason={{text}}&{query}",
    }


def client_binding_json(
    settings: DevhostSettings, keys: HostKeys, task_hub: str | None = None
) -> str:
    hub = task_hub or settings.host_json.hub_name
    code = required_query(settings, keys)
    suffix = f"?{code}" if code else ""
    orchestrators = f"{webhook_base(settings)}/orchestrators/{{functionName}}[/{{instanceId}}]"
    return json.dumps(
        {
            "taskHubName": hub,
            "creationUrls": {
                "createNewInstancePostUri": f"{orchestrators}{suffix}",
                "createAndWaitOnNewInstancePostUri": (
                    f"{orchestrators}?timeout={{timeoutInSeconds}}"
                    f"&pollingInterval={{intervalInSeconds}}" + (f"&{code}" if code else "")
                ),
            },
            "managementUrls": management_urls(settings, keys, hub),
            "baseUrl": webhook_base(settings),
            "requiredQueryStringParameters": code,
            "rpcBaseUrl": f"{settings.origin}{rpc_base(settings)}/",
            "connectionName": None,
            "httpBaseUrl": None,
        }
    )
