"""Fan-out/fan-in of N trivial activities on devhost: wall time, replay time, peak memory.

    .venv/bin/python benchmarks/devhost_fanout.py            # N = 100, 1000, 5000
    .venv/bin/python benchmarks/devhost_fanout.py 100 1000   # chosen sizes

Each size runs on a fresh devhost process (so its peak RSS is that run's), driving the
`fan_out` orchestrator of tests/devhost_app through the Durable HTTP API.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devhost.testing import run_devhost  # noqa: E402

APP_DIR = ROOT / "tests" / "devhost_app"
WEBHOOKS = "/runtime/webhooks/durabletask"


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_one(n: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp, run_devhost(APP_DIR, Path(tmp) / "data") as host:
        client = httpx.Client(base_url=host.base_url, timeout=60)
        started = time.perf_counter()
        # A JSON string body reaches get_input() as the number (the SDK decodes it once).
        response = client.post(f"{WEBHOOKS}/orchestrators/fan_out", json=str(n))
        instance_id = response.json()["id"]
        while True:
            status = client.get(f"{WEBHOOKS}/instances/{instance_id}").json()
            if status["runtimeStatus"] not in ("Pending", "Running"):
                break
            time.sleep(0.02)
        wall = time.perf_counter() - started
        assert status["runtimeStatus"] == "Completed", status
        assert status["output"] == n * (n - 1), status["output"]
        metrics = client.get("/admin/devhost/metrics", params={"instanceId": instance_id}).json()
        return {
            "n": n,
            "wall_s": wall,
            "replay_s": metrics["replaySeconds"],
            "episodes": metrics["episodes"],
            "peak_rss_mb": peak_rss_mb(host.pid or 0),
        }


def main(argv: list[str]) -> int:
    sizes = [int(a) for a in argv] or [100, 1000, 5000]
    print(f"{'N':>6} {'wall s':>8} {'replay s':>9} {'episodes':>9} {'peak RSS MB':>12}")
    for n in sizes:
        r = run_one(n)
        print(
            f"{r['n']:>6} {r['wall_s']:>8.2f} {r['replay_s']:>9.2f} {r['episodes']:>9} "
            f"{r['peak_rss_mb']:>12.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
