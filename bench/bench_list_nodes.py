"""What GET /v1/nodes costs when it answers the whole pool (as exalsius-api-client and exls ask: they cannot
page), per 1,000 nodes, at 100, 1,000 and 10,000 nodes: DynamoDB calls, items read, latency and answer size,
measured side by side in one run. The baseline is one page of 100 nodes (``limit=100``) in the same pool.

On DynamoDB Local by default (moto's queries scan in Python and would dominate). Usage:
python bench/bench_list_nodes.py [--sizes 100,1000,10000] [--runs 3] [--engine dynamodb-local|moto]
"""

from __future__ import annotations

import argparse
import json
import time

from common import Meter, median, moto_backend, seed_pool_nodes

from nodeplane_local.harness.lambda_events import http_event, invoke


def timed(tenant: str, query: dict[str, int] | None, meter: Meter, runs: int) -> tuple[int, int, float, int]:
    """(DynamoDB calls, items read, median seconds, answer bytes) of one list request."""
    seconds = []
    for _ in range(runs):
        meter.calls = meter.items = 0
        started = time.perf_counter()
        reply = invoke("pool_nodes_list", http_event("GET", "/v1/nodes", query=query, tenant=tenant))
        seconds.append(time.perf_counter() - started)
        assert reply.status == 200, reply.body
    # the answer as the handler serialises it (compact JSON): Lambda answers at most 6 MB
    return meter.calls, meter.items, median(seconds), len(json.dumps(reply.body, separators=(",", ":")).encode())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--engine", choices=["dynamodb-local", "moto"], default="dynamodb-local")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    from nodeplane import store

    with moto_backend(dynamodb_local=args.engine == "dynamodb-local"):
        meter = Meter()
        store.dynamodb().meta.events.register("after-call.dynamodb", meter)
        print(
            f"{'nodes':>6} {'calls':>6} {'items':>7} {'latency':>9} {'bytes':>10}"
            f" | per 1,000: {'calls':>6} {'latency':>9} {'bytes':>10} | x one page of 100"
        )
        for size in sizes:
            tenant = f"bench-list-{size}"
            meter.calls = 0
            seed_pool_nodes(tenant, size)
            page_calls, _, page_latency, _ = timed(tenant, {"limit": 100}, meter, args.runs)
            calls, items, latency, size_bytes = timed(tenant, None, meter, args.runs)
            per = 1000 / size
            print(
                f"{size:>6} {calls:>6} {items:>7} {latency * 1000:>7.1f}ms {size_bytes:>10,}"
                f" | {'':>10} {calls * per:>6.1f} {latency * per * 1000:>7.1f}ms {size_bytes * per:>10,.0f}"
                f" | {latency / page_latency:>5.1f}x ({page_calls} call for the page)"
            )
        store.dynamodb().meta.events.unregister("after-call.dynamodb", meter)


if __name__ == "__main__":
    main()
