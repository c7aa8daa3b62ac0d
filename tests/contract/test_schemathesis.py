"""Every route of the OpenAPI document called by schemathesis on devhost (bounded: a fixed
number of examples per operation, a fixed seed and a time cap): no 5xx, every answer matches
its documented status and schema, and schema-violating input gets a 4xx."""

import subprocess
import sys
from pathlib import Path

import pytest

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
    ]
)
MAX_EXAMPLES = 25
MAX_SECONDS = 45

pytestmark = pytest.mark.slow


def test_every_route_keeps_its_contract(engine, tmp_path):
    schemathesis = Path(sys.executable).parent / "schemathesis"
    command = [
        str(schemathesis),
        "run",
        f"{engine.url}/api/openapi.json",
        "--checks",
        CHECKS,
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--max-time",
        str(MAX_SECONDS),
        "--seed",
        "11",
        "--workers",
        "2",
        "--request-timeout",
        "20",
        "--no-color",
        "--report-dir",
        str(tmp_path),
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=MAX_SECONDS + 60)
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:]
