"""The worker image holds only what its Dockerfile copies: the worker must run from that."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "container_worker" / "Dockerfile"

# Imports everything the worker loads at start-up and for the raster handlers, then names
# any module that came from the repository instead of the copied tree.
CHECK = """
import sys
sys.path = [p for p in sys.path if p != {repo!r}]
import container_worker.__main__, container_worker.worker, container_worker.progress
import handlers.raster, handlers.raster.stac_index, adapters.outputs, adapters.catalog
leaks = sorted(
    m.__file__ for m in list(sys.modules.values())
    if getattr(m, "__file__", None) and m.__file__.startswith({repo!r} + "/")
    and "/.venv/" not in m.__file__ and "/site-packages/" not in m.__file__
)
print(leaks)
"""


def copied_dirs() -> list[str]:
    copies = re.findall(r"^COPY\s+(\S+)/\s+\S+/\s*$", DOCKERFILE.read_text(), re.MULTILINE)
    assert copies, "no directory COPY lines found in the Dockerfile"
    return copies


def test_worker_imports_from_the_directories_its_image_copies(tmp_path: Path):
    for name in copied_dirs():
        shutil.copytree(REPO / name, tmp_path / name)
    result = subprocess.run(
        [sys.executable, "-c", CHECK.format(repo=str(REPO))],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", f"modules outside the image: {result.stdout}"
