"""azure.yaml, main.parameters.json and the hooks agree with main.bicep."""

import json
import os
import re
import subprocess
import sys
from fnmatch import fnmatch

import yaml

from tests.infra.bicep import (
    INFRA,
    REPO,
    declared_outputs,
    declared_params,
    parse,
    string_value,
    variable,
)

# What azd itself puts in a hook's environment besides main.bicep's outputs.
AZD_PROVIDED = {"AZURE_ENV_NAME", "AZURE_LOCATION", "AZURE_SUBSCRIPTION_ID", "AZURE_PRINCIPAL_ID"}


def _azure_yaml() -> dict:
    return yaml.safe_load((REPO / "azure.yaml").read_text(encoding="utf-8"))


def test_azure_yaml_deploys_the_function_app_and_the_worker_image():
    services = _azure_yaml()["services"]
    assert services["api"]["host"] == "function"
    assert (REPO / services["api"]["project"] / "function_app.py").is_file()
    worker = services["worker"]
    assert worker["host"] == "containerapp"
    assert (REPO / worker["project"] / worker["docker"]["path"]).is_file()


def test_every_hook_script_exists_and_is_executable():
    for name, hook in _azure_yaml()["hooks"].items():
        script = REPO / hook["posix"]["run"]
        assert script.is_file(), f"hook {name}: no {script}"
        assert os.access(script, os.X_OK), f"hook {name}: {script} is not executable"


def test_parameters_file_passes_only_declared_params_and_every_required_one():
    declared = declared_params(parse(INFRA / "main.bicep"))
    passed = set(json.loads((INFRA / "main.parameters.json").read_text())["parameters"])
    assert passed - set(declared) == set()
    assert {p.name for p in declared.values() if p.required} - passed == set()


def test_hooks_read_only_values_main_bicep_outputs():
    outputs = declared_outputs(parse(INFRA / "main.bicep"))
    read: set[str] = set()
    for script in (INFRA / "scripts").iterdir():
        source = script.read_text(encoding="utf-8")
        read |= set(re.findall(r"\$\{([A-Z_]+):\?", source))  # ${NAME:?...} in sh
        read |= set(re.findall(r'_env\("([A-Z_]+)"\)', source))  # _env("NAME") in python
    assert read, "found no environment value read by the hooks: has their style changed?"
    assert read - outputs - AZD_PROVIDED == set()


def test_worker_is_told_the_task_hub_host_json_names():
    hub = json.loads((REPO / "host.json").read_text())["extensions"]["durableTask"]["hubName"]
    value = variable(parse(INFRA / "main.bicep"), "durableTaskHub")
    assert value is not None and string_value(value) == hub


def test_function_app_package_keeps_every_module_and_file_the_app_uses():
    # A fresh interpreter: what importing function_app pulls in from this repository.
    probe = (
        "import sys, function_app\n"
        "from pathlib import Path\n"
        "repo = Path.cwd().resolve()\n"
        "files = [Path(m.__file__).resolve() for m in list(sys.modules.values())\n"
        "         if getattr(m, '__file__', None)]\n"
        "print('\\n'.join(sorted({f.relative_to(repo).parts[0] for f in files\n"
        "                         if f.is_relative_to(repo) and '.venv' not in f.parts})))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, f"importing function_app failed:\n{run.stderr[-3000:]}"
    imported = set(run.stdout.split())
    assert {"function_app.py", "api", "domain"} <= imported
    imported |= {"workflows", "platforms", "host.json"}  # what the app reads at run time
    ignored = [
        line.strip().rstrip("/")
        for line in (REPO / ".funcignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    dropped = sorted(top for top in imported for pattern in ignored if fnmatch(top, pattern))
    assert not dropped, f".funcignore leaves out what function_app imports: {dropped}"
