"""``DAGMASTER_HANDLERS_MODULES``: more modules registering handlers, imported with the package."""

import os
import subprocess
import sys

from tests.engine.support import REPO


def import_handlers(modules: str) -> subprocess.CompletedProcess[str]:
    code = "import handlers; print(sorted(handlers.registry.names()))"
    env = {**os.environ, "DAGMASTER_HANDLERS_MODULES": modules}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True
    )


def test_named_module_registers_its_handlers_next_to_the_built_in_ones():
    done = import_handlers("tests.engine.e2e_handlers")
    assert done.returncode == 0, done.stderr
    assert "'e2e.pausing_steps'" in done.stdout and "'create_cog'" in done.stdout


def test_module_that_cannot_be_imported_is_named_in_the_error():
    done = import_handlers("no_such.handlers")
    assert done.returncode != 0
    assert "DAGMASTER_HANDLERS_MODULES names 'no_such.handlers'" in done.stderr
