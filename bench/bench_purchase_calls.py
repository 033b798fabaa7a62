"""DynamoDB calls on nodeplane's table per lock request: one that reuses a stack, and one that buys a stack (the
purchase saga), through the proxy_lock handler on moto with the local ledger buying for real. The ledger's own
table is counted apart: it stands in for the chain. Prints each count with its operations.

Usage: python bench/bench_purchase_calls.py
"""

from __future__ import annotations

import base64
import os
from collections import Counter
from typing import Any

from common import moto_backend

from nodeplane_local.harness.lambda_events import http_event, invoke

MODEL = "bench/purchase"
PRICE = 100


class Meter:
    """Counts DynamoDB calls per table and operation (a botocore provide-client-params hook on nodeplane's client)."""

    def __init__(self) -> None:
        self.calls: Counter[tuple[str, str]] = Counter()

    def __call__(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        table = params.get("TableName") or ",".join(params.get("RequestItems", {})) or "(several)"
        if model.name == "TransactWriteItems":
            table = ",".join(sorted({next(iter(i.values()))["TableName"] for i in params["TransactItems"]}))
        self.calls[(table, model.name)] += 1


def market() -> None:
    from nodeplane.chain.keys import Keypair
    from nodeplane.network import chain_events, chainops, daemon, operators

    ops = chainops.ops()
    chain_events.apply(ops.admin_call("create_task_entry", [0, MODEL, 1, None, True]).events)
    chain_events.apply(ops.admin_call("new_network_key_rotation", []).events)
    operators.import_key("operator", Keypair.generate("ed25519").to_keystore())
    node = daemon.register_node("operator")["node_small_id"]
    daemon.publish_public_key("operator", node, base64.b64encode(bytes(range(32))).decode(), 0)
    daemon.subscribe("operator", 1, PRICE, node, update=False)


def measured_lock(user: str) -> Counter[tuple[str, str]]:
    from nodeplane import store

    meter = Meter()
    store.dynamodb().meta.events.register("provide-client-params.dynamodb", meter)
    try:
        reply = invoke("proxy_lock", http_event("POST", "/proxy/v1/nodes/lock", body={"model": MODEL}, tenant=user))
    finally:
        store.dynamodb().meta.events.unregister("provide-client-params.dynamodb", meter)
    assert reply.status == 200, reply.body
    return meter.calls


def show(name: str, calls: Counter[tuple[str, str]]) -> None:
    table = os.environ["TABLE_NAME"]
    mine = {op: n for (t, op), n in calls.items() if t == table}
    ledger = sum(n for (t, _), n in calls.items() if t != table)
    detail = ", ".join(f"{op} {n}" for op, n in sorted(mine.items()))
    print(f"{name:<28} {sum(mine.values()):>3} calls on nodeplane's table ({detail}); {ledger} on the ledger's")


def main() -> None:
    with moto_backend():
        from nodeplane.network import balances

        market()
        balances.credit("warm", PRICE)
        measured_lock("warm")  # warm containers, clients and the chain's wallets
        balances.credit("bench", PRICE)
        show("lock that buys a stack", measured_lock("bench"))
        show("lock that reuses a stack", measured_lock("bench"))


if __name__ == "__main__":
    main()
