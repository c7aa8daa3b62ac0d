"""Start-up: command line, app indexing, local.settings.json, host.json."""

from __future__ import annotations

import json
from pathlib import Path

from devhost.app_loader import index_functions, load_local_settings
from devhost.cli import main
from devhost.settings import HostJson
from devhost.testing import free_port
from tests.devhost.conftest import APP_DIR


def test_start_without_function_app_returns_exit_code_2(tmp_path: Path) -> None:
    port = str(free_port())
    args = ["start", "--app-dir", str(tmp_path), "--data-dir", str(tmp_path / "d")]
    assert main([*args, "--port", port]) == 2


def test_local_settings_never_override_existing_variables(tmp_path: Path) -> None:
    (tmp_path / "local.settings.json").write_text(
        json.dumps({"Values": {"A": "from-file", "B": "from-file"}})
    )
    environ = {"A": "already-set"}
    assert load_local_settings(tmp_path, environ) == ["B"]
    assert environ == {"A": "already-set", "B": "from-file"}


def test_host_json_sets_prefix_hub_and_concurrency() -> None:
    host_json = HostJson.read(APP_DIR)
    assert host_json.route_prefix == "api"
    assert host_json.hub_name == "devhosttests"
    assert host_json.max_concurrent_activities == 16


def test_functions_are_indexed_by_trigger_and_alias(tmp_path: Path) -> None:
    (tmp_path / "function_app.py").write_text(
        "import azure.durable_functions as df\n"
        "app = df.DFApp()\n"
        "@app.activity_trigger(input_name='x', activity='Renamed')\n"
        "def original(x): return x\n"
        "@app.orchestration_trigger(context_name='context')\n"
        "def Orch(context):\n    yield context.call_activity('Renamed', 1)\n"
    )
    import importlib.util

    spec = importlib.util.spec_from_file_location("alias_app", tmp_path / "function_app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    index = index_functions(module.app)
    assert index.activity("renamed") is index.activity("original") is not None
    assert index.orchestrator("ORCH") is not None


def test_dagmaster_dev_help_lists_the_devhost_options() -> None:
    from typer.testing import CliRunner

    from dagmaster.cli import app

    result = CliRunner().invoke(app, ["dev", "--help"])
    assert result.exit_code == 0
    assert "usage: dagmaster dev" in result.output
    for option in ("--app-dir", "--port", "--data-dir", "--require-keys", "--verbose"):
        assert option in result.output
