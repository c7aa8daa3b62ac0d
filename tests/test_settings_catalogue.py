"""`config.SETTINGS` is the one list of settings: the code reads no other, the docs show all."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from config import (
    SETTINGS,
    SETTINGS_CLASSES,
    SettingsError,
    markdown_table,
    registry_settings,
    shipped_settings,
)
from domain.platforms import load_platform_text

REPO = Path(__file__).resolve().parents[1]
NOT_APP_CODE = {"tests", "benchmarks", "config", "node_modules", ".venv"}
# Modules that touch os.environ without reading a setting of ours, and why.
PASS_THROUGH = {
    "devhost/settings.py": "host.json %AppSetting% references may name any app setting",
    "devhost/cli.py": "loads local.settings.json Values into the environment",
    "devhost/testing.py": "hands the environment on to the devhost child process",
    "dagmaster/demo.py": "hands the environment on to child processes",
}
ENV_NAME = re.compile(r"\bDAGMASTER_[A-Z0-9_]*[A-Z0-9]\b")
# Enough for every settings class to load, so that removing one required setting is the
# only problem left.
COMPLETE_ENV = {
    "DAGMASTER_STORAGE_CONNECTION_STRING": "UseDevelopmentStorage=true",
    "DAGMASTER_TASK_QUEUE": "storage",
    "DAGMASTER_DURABLE_BASE_URL": "http://localhost:7071",
}
CATALOGUED = {s.name for s in SETTINGS}


def app_modules() -> list[Path]:
    files = [p for p in REPO.glob("*.py")]
    for folder in sorted(REPO.iterdir()):
        if folder.name not in NOT_APP_CODE and (folder / "__init__.py").exists():
            files += sorted(folder.rglob("*.py"))
    return files


def environ_uses(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
            and node.attr in ("environ", "getenv", "environb")
        ):
            lines.append(node.lineno)
        if (
            isinstance(node, ast.ImportFrom)
            and node.module == "os"
            and any(a.name in ("environ", "getenv", "environb") for a in node.names)
        ):
            lines.append(node.lineno)
    return lines


def test_catalogue_names_each_setting_once_with_its_meaning_and_readers():
    names = [s.name for s in shipped_settings()]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
    for s in shipped_settings():
        assert s.meaning and s.readers, s.name


def test_the_settings_a_registry_entry_names_are_app_settings_nobody_requires():
    entry = load_platform_text((REPO / "platforms" / "ddh.yaml").read_text())
    named = {s.name: s for s in registry_settings([entry])}
    assert set(named) == {
        "DAGMASTER_DDH_API_KEY",
        "DAGMASTER_DDH_CALLBACK_URL",
        "DAGMASTER_DDH_CALLBACK_SECRET",
    }
    assert all(s.readers == ("app",) and not s.required for s in named.values())
    assert "platform ddh's API key" in named["DAGMASTER_DDH_API_KEY"].meaning


def test_a_callback_url_setting_is_no_secret_unlike_the_key_and_signing_secret():
    entry = load_platform_text((REPO / "platforms" / "ddh.yaml").read_text())
    secret = {s.name: s.secret for s in registry_settings([entry])}
    assert secret == {
        "DAGMASTER_DDH_API_KEY": True,
        "DAGMASTER_DDH_CALLBACK_URL": False,
        "DAGMASTER_DDH_CALLBACK_SECRET": True,
    }


def test_the_readme_table_lists_the_settings_the_shipped_registry_names():
    assert "| `DAGMASTER_DDH_API_KEY` | app | unset | platform ddh's API key" in markdown_table()


def test_only_the_settings_classes_read_the_environment():
    found = []
    for path in app_modules():
        relative = path.relative_to(REPO).as_posix()
        if relative in PASS_THROUGH:
            continue
        found += [f"{relative}:{line}" for line in environ_uses(ast.parse(path.read_text()))]
    assert not found, f"read settings through config.settings (add a field there): {found}"


def test_every_setting_the_code_names_is_catalogued():
    unknown = set()
    for path in app_modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                unknown |= {f"{n} ({path.relative_to(REPO)})" for n in ENV_NAME.findall(node.value)}
    unknown = {u for u in unknown if u.split()[0] not in CATALOGUED}
    assert not unknown, f"named in the code but not in config.SETTINGS: {sorted(unknown)}"


def test_readme_settings_table_is_the_catalogue():
    readme = (REPO / "README.md").read_text()
    table = readme.split("<!-- settings:start -->\n", 1)[1].split("<!-- settings:end -->", 1)[0]
    assert table == markdown_table(), "run `dagmaster settings` and paste it into README.md"


def test_local_settings_example_names_only_catalogued_settings():
    values = json.loads((REPO / "local.settings.json.example").read_text())["Values"]
    assert set(values) - CATALOGUED == set()


def test_local_settings_example_sets_every_setting_a_local_app_requires():
    values = json.loads((REPO / "local.settings.json.example").read_text())["Values"]
    required = {s.name for s in SETTINGS if s.required and {"app", "host"} & set(s.readers)}
    assert required - set(values) == set()


REQUIRED = [
    (cls, entry.name) for cls in SETTINGS_CLASSES for entry in cls.catalogue() if entry.required
]


@pytest.mark.parametrize(("cls", "name"), REQUIRED, ids=[n for _, n in REQUIRED])
def test_missing_required_setting_is_an_error_naming_it(cls, name):
    cls.from_env(COMPLETE_ENV)
    env = {k: v for k, v in COMPLETE_ENV.items() if k != name}
    with pytest.raises(SettingsError, match=f"{name} is not set"):
        cls.from_env(env)


def test_settings_built_in_code_ignore_the_environment(monkeypatch):
    from config import CatalogSettings

    monkeypatch.setenv("DAGMASTER_PG_POOL_MAX", "3")
    assert CatalogSettings().pool_max_size == 8
    assert CatalogSettings.from_env().pool_max_size == 3
