"""`make bench`: every benchmark, each printing only its results. By default a quick pass (a few minutes on two
cores: fewer repetitions, 10,000 items where the long run seeds 100,000, a cold start per API family); `--full`
(or `make bench BENCH=full`) runs each with its own defaults, the numbers the targets are judged on.

Usage: python bench/run.py [--full]
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# one handler per API family and every kind of worker load: pool reads and writes, proxy, daemon transactions
COLD_START_SAMPLE = (
    "pool_nodes_list,pool_node_import_offer,pool_cluster_create,pool_ssh_key_add,proxy_lock,proxy_usage_report,"
    "daemon_task_subscribe,daemon_claimed_stacks,daemon_tasks"
)
QUICK: dict[str, list[str]] = {
    "bench_cold_start.py": ["--runs", "3", "--only", COLD_START_SAMPLE],
    "bench_discovery.py": ["--repeat", "3"],
    "bench_locks.py": ["--large", "10000", "--requests", "100", "--clients", "20"],
    "bench_pool_calls.py": [],
    "bench_registration_calls.py": [],
    "bench_settlement.py": ["--settlements", "30", "--moto-settlements", "10", "--runs", "3"],
    "bench_signatures.py": [],
}


def main() -> int:
    full = "--full" in sys.argv[1:]
    names = sorted(p.name for p in HERE.glob("bench_*.py"))
    started = time.monotonic()
    for name in names:
        args = [] if full else QUICK.get(name, [])
        print(f"== {name} {' '.join(args)}".rstrip(), flush=True)
        if subprocess.run([sys.executable, name, *args], cwd=HERE).returncode != 0:
            print(f"{name} failed", file=sys.stderr)
            return 1
    mode = "full" if full else "quick (make bench BENCH=full for the long runs)"
    print(f"== {len(names)} benchmarks, {mode}, {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
