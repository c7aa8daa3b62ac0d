"""The Function app's secrets: Key Vault references to the deployment's vault, never values,
and the post-provision hook that creates each missing secret once (tried here with a stand-in
for the `az` CLI, the one part that needs Azure).
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.infra.bicep import INFRA, REPO, object_properties, parse, text, variable, walk
from tests.infra.conftest import Break, copy_infra
from tests.infra.contract import (
    code_catalogue,
    function_app_values,
    is_vault_reference,
    registry_settings,
    settings_problems,
    vault_reference_problems,
)

CATALOGUE = code_catalogue()
REGISTRY = registry_settings(REPO / "platforms")
HOOK = INFRA / "scripts" / "keyvault_secrets.sh"
PLAIN_REVIEWER_KEY = Break(
    "app/functionapp.bicep",
    "  DAGMASTER_REVIEWER_KEY: '@Microsoft.KeyVault(VaultName=${keyVaultName};"
    "SecretName=${secretNames.reviewerKey})'\n",
    "  DAGMASTER_REVIEWER_KEY: 'correct-horse-battery-staple'\n",
)


def test_every_secret_like_app_setting_is_a_key_vault_reference():
    problems = vault_reference_problems(INFRA, CATALOGUE, REGISTRY)
    assert not problems, "\n".join(problems)


def test_the_reviewer_and_platform_keys_come_from_the_vault():
    values = function_app_values(INFRA)
    for name in (
        "DAGMASTER_REVIEWER_KEY",
        "DAGMASTER_DDH_API_KEY",
        "DAGMASTER_DDH_CALLBACK_SECRET",
    ):
        assert is_vault_reference(values[name]), f"{name} = {text(values[name])}"


def test_a_plain_text_reviewer_key_fails_both_checks(tmp_path: Path):
    infra = copy_infra(tmp_path / "infra", PLAIN_REVIEWER_KEY)
    assert [p.split(" ", 1)[0] for p in vault_reference_problems(infra, CATALOGUE, REGISTRY)] == [
        "DAGMASTER_REVIEWER_KEY"
    ]
    assert any(
        p.startswith("DAGMASTER_REVIEWER_KEY is a secret")
        for p in settings_problems(infra, CATALOGUE, frozenset(REGISTRY))
    )


def test_a_key_the_catalogue_does_not_know_must_be_a_reference_too(tmp_path: Path):
    plain = Break(
        "app/functionapp.bicep",
        "var platformKeySettings = {\n",
        "var platformKeySettings = {\n  DAGMASTER_HUB_API_KEY: 'hub-key-1'\n",
    )
    problems = vault_reference_problems(copy_infra(tmp_path / "infra", plain), CATALOGUE, set())
    assert [p.split(" ", 1)[0] for p in problems] == ["DAGMASTER_HUB_API_KEY"]


def test_a_setting_the_registry_names_must_be_set_on_the_app():
    problems = vault_reference_problems(INFRA, CATALOGUE, REGISTRY | {"DAGMASTER_HUB_API_KEY"})
    assert problems == [
        "the platform registry names the app setting DAGMASTER_HUB_API_KEY, which "
        "infra/app/functionapp.bicep does not set: add it to platformKeySettings (or "
        "platformCallbackSettings) as a Key Vault reference"
    ]


def _referenced_secrets(infra: Path) -> dict[str, set[str]]:
    """secretNames keys each kind of reference uses: always, or with ddhCallback."""
    tree = parse(infra / "app" / "functionapp.bicep")
    found: dict[str, set[str]] = {"always": set(), "ddhCallback": set()}
    for var, kind in (
        ("secretSettings", "always"),
        ("platformKeySettings", "always"),
        ("platformCallbackSettings", "ddhCallback"),
    ):
        node = variable(tree, var)
        assert node is not None, f"no var {var} in functionapp.bicep"
        for n in walk(node):
            if n.type == "object":
                for value in object_properties(n).values():
                    found[kind] |= set(re.findall(r"secretNames\.(\w+)", text(value)))
    return found


def test_the_hook_is_told_to_create_every_secret_a_reference_names():
    tree = parse(INFRA / "app" / "functionapp.bicep")
    created = variable(tree, "vaultSecrets")
    assert created is not None and created.type == "ternary_expression"
    with_callback, without = (
        {
            text(n).removeprefix("secretNames.")
            for n in walk(branch)
            if n.type == "member_expression"
        }
        for branch in (c for c in created.children if c.type == "array")
    )
    used = _referenced_secrets(INFRA)
    assert without == used["always"]
    assert with_callback == used["always"] | used["ddhCallback"]


def test_the_app_reads_its_references_with_its_own_identity():
    source = (INFRA / "app" / "functionapp.bicep").read_text(encoding="utf-8")
    assert "keyVaultReferenceIdentity: identityId" in source


# --- the post-provision hook ---------------------------------------------------------------

# A stand-in for the `az` CLI: a vault in a folder (one file per secret), every call logged.
FAKE_AZ = """
import os, sys
from pathlib import Path

args = sys.argv[1:]
vault = Path(os.environ["FAKE_VAULT"])
logged = ["***" if i and args[i - 1] == "--value" else a for i, a in enumerate(args)]
with (vault.parent / "calls.log").open("a") as log:
    log.write(" ".join(logged) + "\\n")

def option(name):
    return args[args.index(name) + 1]

if args[:3] == ["keyvault", "secret", "show"]:
    if os.environ.get("FAKE_VAULT_REFUSES"):
        sys.exit(print("ERROR: (Forbidden) Caller is not authorized", file=sys.stderr) or 1)
    secret = vault / option("--name")
    if not secret.exists():
        sys.exit(print("ERROR: (SecretNotFound) A secret with (name/id) x was not found in "
                       "this key vault.", file=sys.stderr) or 1)
    print(f"https://{option('--vault-name')}.vault.azure.net/secrets/{secret.name}/1")
elif args[:3] == ["keyvault", "secret", "set"]:
    (vault / option("--name")).write_text(option("--value"))
elif args[:2] != ["functionapp", "restart"]:
    sys.exit(f"fake az: unexpected call {args}")
"""


@dataclass(frozen=True)
class Hook:
    vault: Path
    env: dict[str, str]

    def run(self, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["sh", str(HOOK)],
            env={**self.env, **extra},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def secrets(self) -> dict[str, str]:
        return {p.name: p.read_text() for p in sorted(self.vault.iterdir())}

    def calls(self) -> list[str]:
        log = self.vault.parent / "calls.log"
        return log.read_text().splitlines() if log.exists() else []


@pytest.fixture
def hook(tmp_path: Path) -> Hook:
    bin_dir, vault = tmp_path / "bin", tmp_path / "vault"
    bin_dir.mkdir()
    vault.mkdir()
    az = bin_dir / "az"
    az.write_text(f"#!{sys.executable}\n{FAKE_AZ}")
    az.chmod(az.stat().st_mode | stat.S_IXUSR)
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "FAKE_VAULT": str(vault),
        "AZURE_KEY_VAULT_NAME": "kv-test",
        "AZURE_KEY_VAULT_SECRETS": "reviewer-key ddh-api-key",
        "AZURE_RESOURCE_GROUP": "rg-test",
        "AZURE_FUNCTION_APP_NAME": "func-test",
        "KEYVAULT_HOOK_PAUSE_SECONDS": "0",
    }
    return Hook(vault, env)


def test_hook_creates_each_missing_secret_with_its_own_random_value(hook: Hook):
    run = hook.run()
    assert run.returncode == 0, run.stderr
    secrets = hook.secrets()
    assert sorted(secrets) == ["ddh-api-key", "reviewer-key"]
    assert all(re.fullmatch(r"[0-9a-f]{64}", v) for v in secrets.values())
    assert len(set(secrets.values())) == 2
    assert (
        hook.calls()[-1]
        == "functionapp restart --resource-group rg-test --name func-test --output none"
    )


def test_hook_run_again_leaves_every_secret_as_it_was(hook: Hook):
    assert hook.run().returncode == 0
    first, calls = hook.secrets(), len(hook.calls())
    again = hook.run()
    assert again.returncode == 0, again.stderr
    assert hook.secrets() == first
    assert all(" show " in f" {c} " for c in hook.calls()[calls:])  # no set, no restart


def test_hook_creates_only_the_secret_that_is_missing(hook: Hook):
    (hook.vault / "reviewer-key").write_text("kept")
    assert hook.run(AZURE_KEY_VAULT_SECRETS="reviewer-key ddh-callback-secret").returncode == 0
    assert hook.secrets()["reviewer-key"] == "kept"
    assert sorted(hook.secrets()) == ["ddh-callback-secret", "reviewer-key"]


def test_hook_that_cannot_read_the_vault_stops_without_writing(hook: Hook):
    run = hook.run(FAKE_VAULT_REFUSES="1", KEYVAULT_HOOK_ATTEMPTS="2")
    assert run.returncode != 0
    assert "cannot tell whether reviewer-key exists in kv-test" in run.stderr
    assert hook.secrets() == {}
    assert [c.split()[:3] for c in hook.calls()] == [["keyvault", "secret", "show"]] * 2


def test_hook_scripts_are_shellcheck_clean():
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.fail("Debian's shellcheck is not installed: run `make install` (as root)")
    scripts = sorted(str(p) for p in (INFRA / "scripts").glob("*.sh"))
    run = subprocess.run([shellcheck, *scripts], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout
