"""What infra/ promises beyond syntax: the settings the code reads, no secrets, named roles.

Each check takes the infra directory (the real one, or a broken copy in the tests that show
the check can fail) and returns its problems as sentences naming the file and the fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tree_sitter import Node

from domain.platforms import load_platform_dir
from tests.infra.bicep import object_properties, parse, string_value, text, variables, walk

# Settings Flex Consumption refuses in app settings (the runtime is functionAppConfig's).
FLEX_FORBIDDEN = (
    "FUNCTIONS_WORKER_RUNTIME",
    "FUNCTIONS_EXTENSION_VERSION",
    "WEBSITE_RUN_FROM_PACKAGE",
    "WEBSITE_CONTENTSHARE",
    "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
    "WEBSITE_NODE_DEFAULT_VERSION",
)

# Azure built-in roles by GUID (learn.microsoft.com, "Azure built-in roles").
BUILT_IN_ROLES = {
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": "Storage Blob Data Owner",
    "ba92f5b4-2d11-453d-a403-e96b0029c9fe": "Storage Blob Data Contributor",
    "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1": "Storage Blob Data Reader",
    "974c5e8b-45b9-4653-ba55-5f855dd0fb88": "Storage Queue Data Contributor",
    "8a0f0c08-91a1-4084-bc3d-661d67233fed": "Storage Queue Data Message Processor",
    "c6a89b2d-59bc-44d0-9896-0f6e12d7b80a": "Storage Queue Data Message Sender",
    "19e7f393-937e-4f77-808e-94535e297925": "Storage Queue Data Reader",
    "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3": "Storage Table Data Contributor",
    "3913510d-42f4-4e42-8a64-420c390055eb": "Monitoring Metrics Publisher",
    "69a216fc-b8fb-44d8-bc22-1f3c2cd27a39": "Azure Service Bus Data Sender",
    "4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0": "Azure Service Bus Data Receiver",
    "090c5cfd-751d-490a-894a-3ce6f1109419": "Azure Service Bus Data Owner",
    "7f951dda-4ed3-4680-a7ca-43fe172d538d": "AcrPull",
    "8311e382-0749-4cb8-b61a-304f252e45ec": "AcrPush",
    "4633458b-17de-408a-b874-0445c86b69e6": "Key Vault Secrets User",
    "b86a8fe4-44ce-4948-aee5-eccb2c155cd7": "Key Vault Secrets Officer",
}

_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)

# Credentials that must never appear in infra/: storage account keys and SAS, Service Bus
# SAS, connection strings, and the ARM functions that read keys out of a resource.
_SECRET_PATTERNS = {
    "a storage account key": re.compile(r"AccountKey\s*=", re.I),
    "a storage connection string": re.compile(r"DefaultEndpointsProtocol\s*=", re.I),
    "a Service Bus connection string": re.compile(r"Endpoint\s*=\s*sb://", re.I),
    "a shared access key": re.compile(r"SharedAccessKey(Name)?\s*=", re.I),
    "a SAS signature": re.compile(r"[?&]sig=", re.I),
    "a SAS token function": re.compile(r"\blist(Account|Service)Sas\s*\(", re.I),
    "a key-reading function": re.compile(r"\blist(Keys|ConnectionStrings|Secrets)\s*\(", re.I),
    # Application Insights' connection string names an endpoint; with local auth off it
    # grants nothing, so it is the one allowed.
    "a connection-string setting": re.compile(
        r"\b(?!APPLICATIONINSIGHTS_)[A-Z_]*CONNECTION_STRING\b"
    ),
    "UseDevelopmentStorage": re.compile(r"UseDevelopmentStorage", re.I),
}
_SCANNED_SUFFIXES = (".bicep", ".json", ".sh", ".py", ".yaml", ".yml", ".bicepparam")


def function_app_values(infra: Path) -> dict[str, Node]:
    """Each setting of the `...Settings` object variables in app/functionapp.bicep (both
    branches of a conditional object count) and its value node."""
    tree = parse(infra / "app" / "functionapp.bicep")
    found: dict[str, Node] = {}
    for name, value in variables(tree).items():
        if not name.endswith("Settings"):
            continue
        for node in walk(value):
            if node.type == "object":
                found.update(object_properties(node))
    return found


def function_app_settings(infra: Path) -> set[str]:
    return set(function_app_values(infra))


def worker_values(infra: Path) -> dict[str, Node]:
    """Each `{name, value | secretRef}` of the `...Env` array variables of app/worker.bicep:
    its name and its value (or secretRef) node."""
    tree = parse(infra / "app" / "worker.bicep")
    found: dict[str, Node] = {}
    for name, value in variables(tree).items():
        if not name.endswith("Env"):
            continue
        for node in walk(value):
            if node.type != "object":
                continue
            props = object_properties(node)
            given = props.get("value", props.get("secretRef"))
            setting = string_value(props["name"]) if "name" in props else None
            if setting is not None and given is not None:
                found[setting] = given
    return found


def worker_settings(infra: Path) -> set[str]:
    return set(worker_values(infra))


def documented_unset(infra: Path) -> set[str]:
    """The settings infra/README.md lists under 'Settings left at their defaults'."""
    readme = (infra / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^## Settings left at their defaults\n(.*?)(?=^## |\Z)", readme, re.M | re.S)
    if match is None:
        return set()
    return set(re.findall(r"^\|\s*`([A-Za-z_][A-Za-z0-9_]*)`", match.group(1), re.M))


def flex_problems(infra: Path) -> list[str]:
    present = function_app_settings(infra)
    return [
        f"app/functionapp.bicep sets {name}, which Flex Consumption refuses: remove it"
        for name in FLEX_FORBIDDEN
        if name in present
    ]


def secret_problems(infra: Path) -> list[str]:
    problems = []
    for path in sorted(infra.rglob("*")):
        if not path.is_file() or path.suffix not in _SCANNED_SUFFIXES:
            continue
        if path.name == "requirements-checkov.txt":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for what, pattern in _SECRET_PATTERNS.items():
                if pattern.search(line):
                    problems.append(
                        f"{path.relative_to(infra)}:{number}: {what} ({line.strip()[:80]!r}); "
                        "infra/ is identity-only: use a managed identity and a role instead"
                    )
    return problems


def role_problems(infra: Path) -> list[str]:
    """Role GUIDs live only in app/rbac.bicep, each a known built-in role named beside it."""
    problems = []
    rbac = infra / "app" / "rbac.bicep"
    for path in sorted(infra.rglob("*.bicep")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for guid in _GUID.findall(line):
                place = f"{path.relative_to(infra)}:{number}"
                if path != rbac:
                    problems.append(f"{place}: GUID {guid} outside app/rbac.bicep: roles go there")
                    continue
                known = BUILT_IN_ROLES.get(guid.lower())
                comment = line.partition("//")[2].strip()
                if known is None:
                    problems.append(f"{place}: {guid} is not a built-in role this check knows")
                elif comment != known:
                    problems.append(
                        f"{place}: {guid} is {known!r} but is named {comment or 'nothing'!r}"
                    )
    return problems


def role_assignment_problems(infra: Path) -> list[str]:
    """Every Microsoft.Authorization/roleAssignments resource is declared in app/rbac.bicep."""
    problems = []
    for path in sorted(infra.rglob("*.bicep")):
        if path == infra / "app" / "rbac.bicep":
            continue
        for node in walk(parse(path).root_node):
            if node.type == "resource_declaration":
                kind = string_value(node.children[2]) or ""
                if kind.startswith("Microsoft.Authorization/roleAssignments"):
                    place = f"{path.relative_to(infra)}:{node.start_point[0] + 1}"
                    problems.append(f"{place}: a role assignment outside app/rbac.bicep")
    return problems


@dataclass(frozen=True)
class CatalogueEntry:
    """One setting of the code's catalogue (`config.SETTINGS`), as the contract needs it."""

    name: str
    readers: frozenset[str]  # app, worker, host (the Functions host), devhost
    required: bool = False
    secret: bool = False


def code_catalogue() -> list[CatalogueEntry]:
    """The code's catalogue of settings and those the shipped platform registry names
    (`config.shipped_settings`), as the contract reads it."""
    from config import shipped_settings

    return [
        CatalogueEntry(s.name, frozenset(s.readers), required=s.required, secret=s.secret)
        for s in shipped_settings()
    ]


_BICEP_OF = {"app": "infra/app/functionapp.bicep", "worker": "infra/app/worker.bicep"}
# Host settings Flex Consumption takes in another form than the catalogue's plain setting.
_STORAGE_BY_IDENTITY = {
    "AzureWebJobsStorage__credential",
    "AzureWebJobsStorage__clientId",
    "AzureWebJobsStorage__blobServiceUri",
    "AzureWebJobsStorage__queueServiceUri",
    "AzureWebJobsStorage__tableServiceUri",
}


# A secret setting may hold a plain keyword that names another connection ('catalog'):
# a keyword is no credential.
_KEYWORD = re.compile(r"^[a-z]+$")
# A Key Vault reference to the deployment's own vault (functionapp.bicep's keyVaultName).
_VAULT_REFERENCE = re.compile(
    r"^'@Microsoft\.KeyVault\(VaultName=\$\{keyVaultName\};SecretName=[^;)']+\)'$"
)
# Names that say a setting holds a credential, whether or not the catalogue knows it yet.
_SECRET_LIKE = re.compile(r"(_KEY|_SECRET|_PASSWORD|_TOKEN|_SAS)$", re.I)


def is_vault_reference(node: Node) -> bool:
    return node.type == "string" and _VAULT_REFERENCE.match(text(node)) is not None


def _secret_kept_secret(infra: Path, reader: str, name: str) -> bool:
    if reader == "worker" and name in worker_secret_refs(infra):
        return True
    values = function_app_values(infra) if reader == "app" else worker_values(infra)
    if reader == "app" and is_vault_reference(values[name]):
        return True
    literal = string_value(values[name])
    return literal is not None and _KEYWORD.match(literal) is not None


def registry_settings(platforms: Path) -> set[str]:
    """The app settings the platform registry names: each platform's API key
    (``api_key_setting``), callback URL (``callback.url_setting``) and signing secret
    (``callback.secret_setting``)."""
    from config import registry_settings as named_by

    return {s.name for s in named_by(load_platform_dir([platforms]).all())}


def platform_settings(infra: Path) -> set[str]:
    """The settings of functionapp.bicep's `platform...Settings` variables: those the registry
    names, or a deployment's registry may (DDH's callback URL and secret, with ddhCallbackUrl)."""
    tree = parse(infra / "app" / "functionapp.bicep")
    found: set[str] = set()
    for name, value in variables(tree).items():
        if name.startswith("platform") and name.endswith("Settings"):
            for node in walk(value):
                if node.type == "object":
                    found.update(object_properties(node))
    return found


def vault_reference_problems(
    infra: Path, catalogue: list[CatalogueEntry], registry: set[str]
) -> list[str]:
    """Every secret-like setting of the Function app is a Key Vault reference to the
    deployment's vault: a catalogue secret (unless a keyword such as 'catalog'), a setting the
    platform registry names (unless the catalogue says it is none: a callback URL), or one
    whose name says it is a key, secret, password or token."""
    plain = {e.name for e in catalogue if not e.secret}
    secrets = {e.name for e in catalogue if e.secret and ("app" in e.readers)} | (registry - plain)
    problems = []
    for name, value in sorted(function_app_values(infra).items()):
        if not (name in secrets or _SECRET_LIKE.search(name)):
            continue
        literal = string_value(value)
        if is_vault_reference(value) or (literal is not None and _KEYWORD.match(literal)):
            continue
        problems.append(
            f"{name} in infra/app/functionapp.bicep is {text(value)[:60]}, not a Key Vault "
            "reference: write '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=...)' "
            "and have infra/scripts/keyvault_secrets.sh create the secret"
        )
    for name in sorted(registry - function_app_settings(infra)):
        problems.append(
            f"the platform registry names the app setting {name}, which "
            "infra/app/functionapp.bicep does not set: add it to platformKeySettings (or "
            "platformCallbackSettings) as a Key Vault reference"
        )
    return problems


def worker_secret_refs(infra: Path) -> set[str]:
    """The worker settings that come from a container app secret (`secretRef`)."""
    tree = parse(infra / "app" / "worker.bicep")
    names: set[str] = set()
    for node in walk(tree.root_node):
        if node.type == "object":
            props = object_properties(node)
            if "name" in props and "secretRef" in props:
                setting = string_value(props["name"])
                if setting is not None:
                    names.add(setting)
    return names


def flex_runtime(infra: Path) -> str | None:
    """functionAppConfig.runtime.name in app/functionapp.bicep."""
    for node in walk(parse(infra / "app" / "functionapp.bicep").root_node):
        if node.type == "object":
            runtime = object_properties(node).get("runtime")
            if runtime is not None and runtime.type == "object":
                name = object_properties(runtime).get("name")
                return string_value(name) if name is not None else None
    return None


def _host_problems(infra: Path, entry: CatalogueEntry, app: set[str]) -> list[str] | None:
    """Problems of a host setting Flex takes in another form; None if it is not one."""
    if entry.name == "FUNCTIONS_WORKER_RUNTIME":
        if flex_runtime(infra) == "python":
            return []
        return [f"{entry.name}: Flex Consumption takes it as functionAppConfig.runtime 'python'"]
    if entry.name == "AzureWebJobsStorage":
        missing = sorted(_STORAGE_BY_IDENTITY - app)
        if not missing:
            return []
        needed = ", ".join(missing)
        return [f"{entry.name}: with an identity, Flex needs {needed} in {_BICEP_OF['app']}"]
    return None


def settings_problems(
    infra: Path, catalogue: list[CatalogueEntry], registry: frozenset[str] = frozenset()
) -> list[str]:
    """Every setting the code (or the Functions host) reads is set in the Bicep of each process
    reading it, or listed in infra/README.md as left at its default (then it has one); secrets
    are never plain values; every DAGMASTER_* setting the Bicep sets is one the code reads
    (its catalogue, or the platform registry's ``registry`` names; a `platform...Settings`
    one may wait for a deployment's registry to name it)."""
    set_by = {"app": function_app_settings(infra), "worker": worker_settings(infra)}
    unset = documented_unset(infra)
    problems = []
    for entry in sorted(catalogue, key=lambda e: e.name):
        readers = {"app" if r == "host" else r for r in entry.readers} & set(set_by)
        if "host" in entry.readers:
            host = _host_problems(infra, entry, set_by["app"])
            if host is not None:
                problems += host
                continue
        for reader in sorted(readers):
            problems += _one_setting(entry, reader, set_by[reader], unset, infra)
    known = {entry.name for entry in catalogue} | registry
    for name in sorted(unset - known):
        problems.append(
            f"infra/README.md lists {name} under 'Settings left at their defaults' but the code "
            "reads no such setting: remove it"
        )
    waiting = platform_settings(infra)
    for reader, names in sorted(set_by.items()):
        unknown = (n for n in names if n.startswith("DAGMASTER_") and n not in known)
        for name in sorted(n for n in unknown if not (reader == "app" and n in waiting)):
            problems.append(
                f"{_BICEP_OF[reader]} sets {name}, which the code does not read (a typo, or a "
                "setting that was removed?)"
            )
    return problems


def _one_setting(
    entry: CatalogueEntry, reader: str, present: set[str], unset: set[str], infra: Path
) -> list[str]:
    bicep = _BICEP_OF[reader]
    if entry.name in present:
        if entry.secret and not _secret_kept_secret(infra, reader, entry.name):
            return [
                f"{entry.name} is a secret but {bicep} sets it as a plain value: use a secret "
                "reference (container app secret or Key Vault)"
            ]
        return []
    if entry.name not in unset:
        return [
            f"{entry.name} (read by the {reader}) is neither set in {bicep} nor listed in "
            "infra/README.md under 'Settings left at their defaults': set it in the Bicep, or "
            "document why its default is right on Azure"
        ]
    if entry.required:
        return [
            f"{entry.name} is required (read by the {reader}) but infra/README.md lists it as "
            f"left at its default: set it in {bicep}"
        ]
    return []
