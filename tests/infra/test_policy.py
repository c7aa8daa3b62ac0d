"""checkov's Bicep checks and our own identity-only policies (infra/policies/) on infra/.

checkov exits 0 when it cannot parse a file and says so only in its JSON report, so the
parse errors are read from there, and every policy that matters must be seen to pass on the
resource it is about (a policy that never ran proves nothing).
"""

from tests.infra.conftest import CheckovReport

# (policy, the file holding the resource it judges)
IDENTITY_ONLY_POLICIES = {
    "CKV_DAGM_1": "app/storage.bicep",  # storage: shared-key access off
    "CKV_DAGM_2": "app/storage.bicep",  # storage: anonymous blob access off
    "CKV_DAGM_3": "app/servicebus.bicep",  # Service Bus: local auth off
    "CKV_DAGM_4": "app/monitoring.bicep",  # Application Insights: local auth off
    "CKV_DAGM_5": "app/postgres.bicep",  # PostgreSQL: password auth off, Entra on
    "CKV_DAGM_6": "app/registry.bicep",  # ACR: admin user off
    "CKV_DAGM_7": "app/monitoring.bicep",  # Log Analytics: local auth off
    "CKV_DAGM_8": "app/keyvault.bicep",  # Key Vault: RBAC authorization, no access policies
    "CKV_DAGM_9": "app/functionapp.bicep",  # App Service Authentication: required, 401
    "CKV_AZURE_110": "app/keyvault.bicep",  # checkov's Key Vault purge protection
    "CKV_AZURE_42": "app/keyvault.bicep",  # checkov's Key Vault recoverable (soft delete)
    "CKV_AZURE_137": "app/registry.bicep",  # checkov's own ACR admin check
    "CKV_AZURE_44": "app/storage.bicep",  # checkov's storage TLS 1.2
}


def _ids(checks: list[dict]) -> list[str]:
    return sorted(f"{c['check_id']} {c['file_path']} {c['resource']}" for c in checks)


def test_checkov_parses_every_bicep_file(checkov_reports: dict[str, CheckovReport]):
    assert checkov_reports["real"].parsing_errors == []


def test_checkov_finds_no_failed_check(checkov_reports: dict[str, CheckovReport]):
    problems = _ids(checkov_reports["real"].failed)
    assert not problems, "\n".join(problems)


def test_every_identity_only_policy_passes_on_its_resource(
    checkov_reports: dict[str, CheckovReport],
):
    passed = {(c["check_id"], c["file_path"]) for c in checkov_reports["real"].passed}
    missing = [
        f"{check} on {file}"
        for check, file in IDENTITY_ONLY_POLICIES.items()
        if (check, f"/real/{file}") not in passed
    ]
    assert missing == []


def test_every_skipped_check_says_why(checkov_reports: dict[str, CheckovReport]):
    unexplained = [
        f"{c['check_id']} in {c['file_path']}"
        for c in checkov_reports["real"].skipped
        if len(c["check_result"].get("suppress_comment", "").strip()) < 20
    ]
    assert unexplained == []


def test_checkov_fails_storage_with_shared_keys_on(checkov_reports: dict[str, CheckovReport]):
    failed = {(c["check_id"], c["file_path"]) for c in checkov_reports["broken"].failed}
    assert ("CKV_DAGM_1", "/broken/app/storage.bicep") in failed


def test_checkov_fails_a_vault_with_access_policies(checkov_reports: dict[str, CheckovReport]):
    failed = {(c["check_id"], c["file_path"]) for c in checkov_reports["broken"].failed}
    assert ("CKV_DAGM_8", "/broken/app/keyvault.bicep") in failed


def test_checkov_fails_app_service_authentication_that_allows_anonymous_callers(
    checkov_reports: dict[str, CheckovReport],
):
    failed = {(c["check_id"], c["file_path"]) for c in checkov_reports["broken"].failed}
    assert ("CKV_DAGM_9", "/broken/app/functionapp.bicep") in failed


def test_a_file_checkov_cannot_parse_is_reported(checkov_reports: dict[str, CheckovReport]):
    assert [p.rsplit("/broken/", 1)[-1] for p in checkov_reports["broken"].parsing_errors] == [
        "app/worker.bicep"
    ]
