"""DynamoDB calls and items read per request for list / describe / patch / delete, with 100 and with
10,000 nodes in the pool, measured side by side in one run. Target: the same numbers at both sizes.

Usage: python bench/bench_pool_calls.py [--large 10000]
"""

from __future__ import annotations

import argparse
from typing import Any

from common import moto_backend

from tests.support.lambda_events import http_event, invoke


class Meter:
    """Counts DynamoDB calls and the items each one read (ScannedCount for queries)."""

    def __init__(self) -> None:
        self.calls = 0
        self.items = 0

    def __call__(self, http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        self.calls += 1
        if "ScannedCount" in parsed:
            self.items += int(parsed["ScannedCount"])
        elif "Item" in parsed:
            self.items += 1
        elif "Responses" in parsed:
            self.items += sum(len(v) for v in parsed["Responses"].values())


def seed(tenant: str, count: int) -> list[str]:
    from nodeplane import store
    from nodeplane.pool import items

    client = store.dynamodb()
    table = store.dynamo.settings().table_name
    ids = []
    batch = []
    for i in range(count):
        node_id = f"00000000-0000-4000-8000-{i:012d}"
        created = f"2026-11-23T06:{i // 6000:02d}:{(i // 100) % 60:02d}.{i % 1000:03d}Z"
        batch.append(
            {
                "PutRequest": {
                    "Item": store.dynamo.serialize(
                        {
                            "pk": items.tenant_pk(tenant),
                            "sk": items.node_sk(node_id),
                            "entity": "node",
                            "tenant": tenant,
                            "id": node_id,
                            "node_type": "CLOUD",
                            "hostname": f"n{i:06d}",
                            "node_status": "AVAILABLE",
                            "price_per_hour": 1.5,
                            "provider": "aws",
                            "region": "us-east-1",
                            "instance_type": "g5.xlarge",
                            "created_at": created,
                            **items.node_indexes(tenant, node_id, created, f"n{i:06d}"),
                        }
                    )
                }
            }
        )
        ids.append(node_id)
        if len(batch) == 25:
            client.batch_write_item(RequestItems={table: batch})
            batch = []
    if batch:
        client.batch_write_item(RequestItems={table: batch})
    store.transact(
        [
            store.put(
                {
                    "pk": items.tenant_pk(tenant),
                    "sk": items.COUNTERS,
                    "nodes_total": count,
                    "nodes_CLOUD": count,
                    "nodes_provider_aws": count,
                }
            )
        ]
    )
    return ids


def measure(tenant: str, node_id: str) -> dict[str, tuple[int, int]]:
    from nodeplane import store

    meter = Meter()
    store.dynamodb().meta.events.register("after-call.dynamodb", meter)
    cases = {
        "list": ("pool_nodes_list", http_event("GET", "/v1/nodes", tenant=tenant)),
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
            ids = seed(tenant, size)
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
