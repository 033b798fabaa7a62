"""DynamoDB calls and items read per request for a list page / describe / patch / delete, with 100 and with
10,000 nodes in the pool, measured side by side in one run. Target: the same numbers at both sizes.

Usage: python bench/bench_pool_calls.py [--large 10000]
"""

from __future__ import annotations

import argparse

from common import Meter, moto_backend, seed_pool_nodes

from nodeplane_local.harness.lambda_events import http_event, invoke


def measure(tenant: str, node_id: str) -> dict[str, tuple[int, int]]:
    from nodeplane import store

    meter = Meter()
    store.dynamodb().meta.events.register("after-call.dynamodb", meter)
    cases = {
        # one page: a client that pages; the whole pool in one answer is bench_list_nodes.py's
        "list page": ("pool_nodes_list", http_event("GET", "/v1/nodes", query={"limit": 100}, tenant=tenant)),
        "describe": (
            "pool_node_describe",
            http_event("GET", "/v1/node/{node_id}", {"node_id": node_id}, tenant=tenant),
        ),
        "patch": (
            "pool_node_patch",
            http_event("PATCH", "/v1/node/{node_id}", {"node_id": node_id}, tenant=tenant, raw_body=""),
        ),
        "delete": ("pool_node_delete", http_event("DELETE", "/v1/node/{node_id}", {"node_id": node_id}, tenant=tenant)),
    }
    out = {}
    for name, (function, event) in cases.items():
        meter.calls = meter.items = 0
        reply = invoke(function, event)
        assert reply.status == 200, (name, reply.body)
        out[name] = (meter.calls, meter.items)
    store.dynamodb().meta.events.unregister("after-call.dynamodb", meter)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--large", type=int, default=10_000)
    args = parser.parse_args()
    with moto_backend():
        results = {}
        for size in (args.small, args.large):
            tenant = f"bench-{size}"
            ids = seed_pool_nodes(tenant, size)
            # hostname claims are not needed for these requests except delete's cleanup, which is unconditional
            results[size] = measure(tenant, ids[size // 2])
        print(
            f"{'request':<10} {'calls@' + str(args.small):>10} {'items@' + str(args.small):>10} "
            f"{'calls@' + str(args.large):>12} {'items@' + str(args.large):>12}  same?"
        )
        for name in results[args.small]:
            small, large = results[args.small][name], results[args.large][name]
            print(
                f"{name:<10} {small[0]:>10} {small[1]:>10} {large[0]:>12} {large[1]:>12}  "
                f"{'yes' if small == large else 'NO'}"
            )


if __name__ == "__main__":
    main()
