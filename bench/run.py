"""`make bench`: every benchmark, each printing only its results. By default a quick pass (a few minutes on two
cores: fewer repetitions, 10,000 items where the long run seeds 100,000, a cold start per API family); `--full`
(or `make bench BENCH=full`) runs each with its own defaults, the numbers the targets are judged on.

Usage: python bench/run.py [--full]
"""

from __future__ import annotations

import json
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


QUICK_BUDGET_SECONDS = 300  # the quick pass fits in five minutes on two cores


def is_record(line: str) -> bool:
    """A log record or an embedded-metric line that leaked from a handler: not a result."""
    text = line.strip()
    if not text.startswith("{"):
        return False
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False


def run(name: str, args: list[str]) -> tuple[int, int]:
    """Run one bench, echoing its results; returns its exit code and how many lines were records, not results."""
    process = subprocess.Popen([sys.executable, name, *args], cwd=HERE, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    leaked = 0
    for line in process.stdout:
        if is_record(line):
            leaked += 1
            continue
        print(line, end="", flush=True)
    return process.wait(), leaked


def main() -> int:
    full = "--full" in sys.argv[1:]
    names = sorted(p.name for p in HERE.glob("bench_*.py"))
    started = time.monotonic()
    for name in names:
        args = [] if full else QUICK.get(name, [])
        print(f"== {name} {' '.join(args)}".rstrip(), flush=True)
        code, leaked = run(name, args)
        if code != 0:
            print(f"{name} failed", file=sys.stderr)
            return 1
        if leaked:
            print(f"{name} printed {leaked} log or metric records among its results", file=sys.stderr)
            return 1
    elapsed = time.monotonic() - started
    mode = "full" if full else "quick (make bench BENCH=full for the long runs)"
    within = "within" if elapsed <= QUICK_BUDGET_SECONDS else "OVER"
    budget = "" if full else f" (budget {QUICK_BUDGET_SECONDS} s: {within})"
    print(f"== {len(names)} benchmarks, {mode}, {elapsed:.0f} s{budget}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
