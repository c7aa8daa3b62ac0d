"""The Bicep sets what the code reads: every setting of the code's catalogue (`config.SETTINGS`,
and the app settings the shipped platform registry names: `config.shipped_settings`) is set
for each process that reads it, or left at a default infra/README.md names.

Whoever adds a setting to the code sees this fail with the setting's name until they add it
to infra/app/functionapp.bicep or infra/app/worker.bicep (or document its default).
"""

from pathlib import Path

from tests.infra.bicep import INFRA, REPO, parse, string_value, variable, walk
from tests.infra.conftest import Break, copy_infra
from tests.infra.contract import (
    CatalogueEntry,
    code_catalogue,
    registry_settings,
    settings_problems,
)

CATALOGUE = code_catalogue()
REGISTRY = frozenset(registry_settings(REPO / "platforms"))


def test_every_setting_the_code_reads_is_set_in_bicep_or_left_at_a_documented_default():
    problems = settings_problems(INFRA, CATALOGUE, REGISTRY)
    assert not problems, "\n".join(problems)


def test_a_new_setting_the_bicep_does_not_set_fails_with_its_name():
    added = CatalogueEntry("DAGMASTER_FAN_OUT_CAP", frozenset({"app"}))
    assert settings_problems(INFRA, [*CATALOGUE, added]) == [
        "DAGMASTER_FAN_OUT_CAP (read by the app) is neither set in infra/app/functionapp.bicep "
        "nor listed in infra/README.md under 'Settings left at their defaults': set it in the "
        "Bicep, or document why its default is right on Azure"
    ]


def test_a_setting_misspelt_in_bicep_is_named_both_ways(tmp_path: Path):
    typo = Break("app/worker.bicep", "'DAGMASTER_TASK_QUEUE_NAME'", "'DAGMASTER_TASK_QUEUENAME'")
    problems = settings_problems(copy_infra(tmp_path / "infra", typo), CATALOGUE)
    assert any(p.startswith("DAGMASTER_TASK_QUEUE_NAME (read by the worker)") for p in problems)
    assert any("sets DAGMASTER_TASK_QUEUENAME, which the code does not read" in p for p in problems)


def test_a_secret_set_as_a_plain_value_fails(tmp_path: Path):
    plain = Break("app/worker.bicep", "secretRef: 'durable-system-key'", "value: durableSystemKey")
    problems = settings_problems(copy_infra(tmp_path / "infra", plain), CATALOGUE)
    assert any(p.startswith("DAGMASTER_DURABLE_SYSTEM_KEY is a secret") for p in problems)


def test_a_required_setting_cannot_be_left_at_its_default(tmp_path: Path):
    dropped = Break("app/functionapp.bicep", "  DAGMASTER_TASK_QUEUE: taskQueue\n", "")
    listed = Break(
        "README.md",
        "## Settings left at their defaults\n",
        "## Settings left at their defaults\n\n| `DAGMASTER_TASK_QUEUE` | none | |\n",
    )
    problems = settings_problems(copy_infra(tmp_path / "infra", dropped, listed), CATALOGUE)
    assert any(p.startswith("DAGMASTER_TASK_QUEUE is required (read by the app)") for p in problems)


def test_storage_creates_every_container_the_code_writes_to():
    from adapters.outputs import OUTPUT_CONTAINER
    from adapters.taskqueue.base import PAYLOAD_CONTAINER
    from container_worker.checkpoints import CHECKPOINT_CONTAINER, RESULT_CONTAINER

    created = _strings(INFRA / "main.bicep", "appContainers")
    assert {OUTPUT_CONTAINER, PAYLOAD_CONTAINER, CHECKPOINT_CONTAINER, RESULT_CONTAINER} <= created


def test_storage_creates_every_container_jobs_may_name():
    allowed = _strings(INFRA / "main.bicep", "inputContainers") | _strings(
        INFRA / "main.bicep", "outputContainers"
    )
    assert allowed and allowed <= _strings(INFRA / "main.bicep", "appContainers")


def _strings(path: Path, name: str) -> set[str | None]:
    array = variable(parse(path), name)
    assert array is not None, f"no var {name} in {path}"
    return {string_value(n) for n in walk(array) if n.type == "string"}


def test_functions_host_storage_must_be_the_identity_based_set(tmp_path: Path):
    dropped = Break(
        "app/functionapp.bicep", "  AzureWebJobsStorage__tableServiceUri: tableEndpoint\n", ""
    )
    problems = settings_problems(copy_infra(tmp_path / "infra", dropped), CATALOGUE)
    assert problems == [
        "AzureWebJobsStorage: with an identity, Flex needs AzureWebJobsStorage__tableServiceUri "
        "in infra/app/functionapp.bicep"
    ]


def test_a_secret_setting_may_hold_a_keyword_but_not_a_url(tmp_path: Path):
    url = Break(
        "app/functionapp.bicep",
        "DAGMASTER_POSTGIS_URL: 'catalog'",
        "DAGMASTER_POSTGIS_URL: 'postgresql://geo:pw@db/geo'",
    )
    problems = settings_problems(copy_infra(tmp_path / "infra", url), CATALOGUE)
    assert any(p.startswith("DAGMASTER_POSTGIS_URL is a secret") for p in problems)


def test_a_setting_the_platform_registry_names_is_one_the_code_reads(tmp_path: Path):
    hub = Break(
        "app/functionapp.bicep",
        "  DAGMASTER_CONSOLE_AUTH: 'app_service'\n",
        "  DAGMASTER_CONSOLE_AUTH: 'app_service'\n"
        "  DAGMASTER_HUB_API_KEY: "
        "'@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=hub)'\n",
    )
    infra = copy_infra(tmp_path / "infra", hub)
    unread = "sets DAGMASTER_HUB_API_KEY, which the code does not read"
    assert any(unread in p for p in settings_problems(infra, CATALOGUE, REGISTRY))
    assert settings_problems(infra, CATALOGUE, REGISTRY | {"DAGMASTER_HUB_API_KEY"}) == []
