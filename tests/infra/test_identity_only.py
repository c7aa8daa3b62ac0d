"""infra/ holds no credential, and every role is a built-in one, named, in app/rbac.bicep."""

from pathlib import Path

from tests.infra.bicep import INFRA
from tests.infra.conftest import Break, copy_infra
from tests.infra.contract import (
    flex_problems,
    function_app_settings,
    role_assignment_problems,
    role_problems,
    secret_problems,
)


def test_infra_holds_no_account_key_sas_or_connection_string():
    problems = secret_problems(INFRA)
    assert not problems, "\n".join(problems)


def test_every_role_guid_is_the_built_in_role_named_beside_it():
    problems = role_problems(INFRA)
    assert not problems, "\n".join(problems)


def test_every_role_assignment_is_in_rbac_bicep():
    problems = role_assignment_problems(INFRA)
    assert not problems, "\n".join(problems)


def test_function_app_sets_no_setting_flex_consumption_refuses():
    problems = flex_problems(INFRA)
    assert not problems, "\n".join(problems)


def test_function_app_storage_is_identity_based():
    settings = function_app_settings(INFRA)
    assert {
        "AzureWebJobsStorage__credential",
        "AzureWebJobsStorage__clientId",
        "AzureWebJobsStorage__blobServiceUri",
        "AzureWebJobsStorage__queueServiceUri",
        "AzureWebJobsStorage__tableServiceUri",
        "AZURE_CLIENT_ID",
    } <= settings
    assert "AzureWebJobsStorage" not in settings


def test_secret_scan_finds_a_connection_string(tmp_path: Path):
    leak = Break(
        "app/functionapp.bicep",
        "  DAGMASTER_TASK_QUEUE: taskQueue\n",
        "  DAGMASTER_TASK_QUEUE: taskQueue\n"
        "  DAGMASTER_SERVICEBUS_CONNECTION_STRING: 'Endpoint=sb://x/;SharedAccessKey=abc'\n",
    )
    problems = secret_problems(copy_infra(tmp_path / "infra", leak))
    assert any("a Service Bus connection string" in p for p in problems)
    assert any("a connection-string setting" in p for p in problems)


def test_secret_scan_finds_a_key_read_out_of_a_resource(tmp_path: Path):
    leak = Break(
        "app/storage.bicep",
        "output name string = storage.name\n",
        "output key string = storage.listKeys().keys[0].value\n",
    )
    problems = secret_problems(copy_infra(tmp_path / "infra", leak))
    assert any("app/storage.bicep" in p and "a key-reading function" in p for p in problems)


def test_role_check_finds_a_guid_named_for_another_role(tmp_path: Path):
    swapped = Break(
        "app/rbac.bicep",
        "'4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0' // Azure Service Bus Data Receiver",
        "'4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0' // Azure Service Bus Data Sender",
    )
    problems = role_problems(copy_infra(tmp_path / "infra", swapped))
    assert any("is 'Azure Service Bus Data Receiver'" in p for p in problems)


def test_role_check_finds_a_role_assignment_outside_rbac_bicep(tmp_path: Path):
    stray = Break(
        "app/registry.bicep",
        "output name string = registry.name\n",
        "resource pull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {\n"
        "  name: guid('x')\n  scope: registry\n"
        "  properties: {\n"
        "    roleDefinitionId: '7f951dda-4ed3-4680-a7ca-43fe172d538d'\n"
        "    principalId: 'p'\n  }\n}\n"
        "output name string = registry.name\n",
    )
    infra = copy_infra(tmp_path / "infra", stray)
    assert any("app/registry.bicep" in p for p in role_assignment_problems(infra))
    assert any("outside app/rbac.bicep" in p for p in role_problems(infra))


def test_flex_check_finds_functions_worker_runtime(tmp_path: Path):
    runtime = Break(
        "app/functionapp.bicep",
        "  AZURE_CLIENT_ID: identityClientId\n",
        "  AZURE_CLIENT_ID: identityClientId\n  FUNCTIONS_WORKER_RUNTIME: 'python'\n",
    )
    problems = flex_problems(copy_infra(tmp_path / "infra", runtime))
    assert any("FUNCTIONS_WORKER_RUNTIME" in p for p in problems)
