"""SSH discovery against one real sshd on 127.0.0.1: wall time of one inspect_host and of 20 concurrent ones
(asyncio.gather), median over a few repetitions, and their ratio (target: well under 20x, i.e. the worker's
event loop overlaps the round trips instead of queueing them).

Needs /usr/sbin/sshd (Debian: apt-get install openssh-server).
Usage: python bench/bench_discovery.py [--repeat 5] [--concurrency 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time

from common import median

from nodeplane.pool.inspection import inspect_host
from nodeplane_local.harness.sshd import SshServer


async def timed(server: SshServer, concurrency: int) -> tuple[float, float]:
    """(wall seconds, this process's CPU seconds) for ``concurrency`` inspections at once."""
    start, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(
        *(
            inspect_host(
                server.endpoint,
                server.user,
                server.client_private_key,
                known_host_fingerprint=server.host_key_fingerprint,
            )
            for _ in range(concurrency)
        )
    )
    return time.perf_counter() - start, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()

    n = args.concurrency
    os.environ["SSH_PRIVATE_TARGETS"] = "allow"  # the bench's sshd listens on loopback, as the local runtime allows
    with SshServer() as server:
        asyncio.run(timed(server, 1))  # warm-up: imports, page cache, sshd's first fork
        singles = [asyncio.run(timed(server, 1)) for _ in range(args.repeat)]
        manys = [asyncio.run(timed(server, n)) for _ in range(args.repeat)]
    single, many = median([w for w, _ in singles]), median([w for w, _ in manys])
    # the worker's own CPU per node: sshd and the probes share this machine, so they bound the wall-time ratio
    client_cpu = median([c for _, c in manys]) / n

    print(f"single inspect_host:          {single * 1000:8.1f} ms  (median of {args.repeat})")
    print(f"{n} concurrent inspect_host:   {many * 1000:8.1f} ms  (median of {args.repeat})")
    print(f"ratio {n}-concurrent / single: {many / single:8.2f}x  (target well under {n}x)")
    print(f"worker CPU per inspection:    {client_cpu * 1000:8.1f} ms")
    cold_import(args.repeat)


def cold_import(runs: int) -> None:
    """The discovery worker's cold import plus first invoke, against a boto3-only handler, in one run."""
    from common import ROOT, cold_run, compile_sources, function_environment, moto_backend

    compile_sources()  # both sides read bytecode, as a deployed layer does
    with moto_backend() as base_env:
        env = base_env | function_environment("queue_discovery_worker")  # as Lambda runs it (the baseline ignores it)
        worker = ROOT / "functions" / "queue_discovery_worker" / "app.py"
        event = ROOT / "events" / "queue_discovery_worker" / "message.json"
        base = ROOT / "bench" / "baseline_handler.py"
        cold_run(worker, event, env)
        pairs = [
            (cold_run(worker, event, env)["total_ms"], cold_run(base, event, env)["total_ms"]) for _ in range(runs)
        ]
    w, b = median([p[0] for p in pairs]), median([p[1] for p in pairs])
    print(f"worker cold import + invoke:  {w:8.1f} ms vs boto3-only {b:.1f} ms = {w / b:.2f}x")


if __name__ == "__main__":
    main()
