"""The state every sample event under events/ succeeds on, and a way to put it back between runs.

Built through nodeplane's own code (the local ledger included), for tenant alice and the ids of
scripts/make_events.py. ``Snapshot`` captures the DynamoDB tables and restores them item by item, so each
measured run of a handler (and of its baselines) starts from exactly the same state: a delete deletes, a
subscription subscribes, on every run.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import io
import os
from collections.abc import Callable
from typing import Any

import boto3

TENANT = "alice"
CREATED = "2026-11-23T06:00:00.000Z"
MODEL = "meta-llama/Llama-3.3-70B-Instruct"  # the model of the proxy samples
PRICE = 250  # the daemon_task_subscribe sample's price


def _admin(command: str, **kwargs: Any) -> None:
    """Run a `nodeplane-local admin` command in-process (its JSON answer is not needed)."""
    from nodeplane_local import admin as registry

    with contextlib.redirect_stdout(io.StringIO()):
        code = registry.commands()[command].run(None, argparse.Namespace(**kwargs))  # type: ignore[arg-type]
    if code:
        raise RuntimeError(f"admin {command} {kwargs} failed")


def _pool() -> None:
    from nodeplane import store
    from nodeplane.pool import items, offers, sshkeys
    from nodeplane.pool.agents import _hash, _register_context
    from nodeplane.security import envelope, kms
    from nodeplane.settings import settings
    from scripts.make_events import CLUSTER, KEY, NODE, OFFER, SAMPLE_KEY_B64

    offers.refresh()
    # the cheapest offer, again as OFFER
    sample_offer = store.query("gsi1pk", items.OFFERS, sk_name="gsi1sk", index="gsi1", limit=1)[0][0]
    sample_offer |= {"pk": items.offer_pk(OFFER), "id": OFFER, "gsi1sk": sample_offer["gsi1sk"] + "-sample"}
    sealed = envelope.seal(
        kms(), settings().kms_key_id, sshkeys.decode_private_key(SAMPLE_KEY_B64), sshkeys._context(TENANT, KEY)
    )
    token_expires = 4_000_000_000
    sealed_token = envelope.seal(kms(), settings().kms_key_id, b"npr_sample", _register_context(TENANT))
    store.transact(
        [
            store.put(sample_offer),
            store.put(
                {
                    "pk": items.tenant_pk(TENANT),
                    "sk": items.sshkey_sk(KEY),
                    "entity": "ssh_key",
                    "id": KEY,
                    "name": "sample",
                    "scope": "private",
                    "sealed": sealed,
                    "created_at": CREATED,
                }
            ),
            store.put({"pk": items.tenant_pk(TENANT), "sk": items.sshkey_name_claim_sk("sample"), "ssh_key_id": KEY}),
            store.put(
                {
                    "pk": items.tenant_pk(TENANT),
                    "sk": items.REGISTER_TOKEN,
                    "token_hash": _hash("npr_sample"),
                    "sealed": sealed_token,
                    "expires_at": token_expires,
                    "ttl": token_expires,
                }
            ),
            store.put(
                {
                    "pk": items.register_token_pk(_hash("npr_sample")),
                    "sk": items.REGISTER_TOKEN,
                    "tenant": TENANT,
                    "expires_at": token_expires,
                }
            ),
            store.put(
                {
                    "pk": items.tenant_pk(TENANT),
                    "sk": items.node_sk(NODE),
                    "entity": "node",
                    "tenant": TENANT,
                    "id": NODE,
                    "node_type": "CLOUD",
                    "hostname": "sample",
                    "node_status": "AVAILABLE",
                    "price_per_hour": 1.0,
                    "provider": "aws",
                    "region": "us-east-1",
                    "instance_type": "g5.xlarge",
                    "created_at": CREATED,
                    **items.node_indexes(TENANT, NODE, CREATED, "sample"),
                }
            ),
            store.put(
                {
                    "pk": items.tenant_pk(TENANT),
                    "sk": items.cluster_sk(CLUSTER),
                    "entity": "cluster",
                    "id": CLUSTER,
                    "tenant": TENANT,
                    "name": "train",
                    "cluster_status": "PENDING",
                    "created_at": CREATED,
                    "nodes": {},
                    "version": 0,
                    "gsi1pk": items.clusters_index_pk(TENANT),
                    "gsi1sk": items.created_sk(CREATED, CLUSTER),
                }
            ),
        ]
    )


def _network() -> None:
    """Alice's operator key is the one that signed the samples. Her node 1 serves task 1 (confidential, the proxy
    samples' model, with an encryption key) and task 2 (sampling consensus) cheapest; her node 2 serves both
    dearer, so it is the attester the ledger samples. Stack 1 is a task 2 stack on node 1."""
    from nodeplane.network import balances, daemon, operators
    from nodeplane.settings import settings
    from scripts.make_events import SAMPLE_NODE_KEY

    os.environ["LEDGER_CROSS_VALIDATION_PERMILLE"] = "1000"  # setups sample attesters always (handlers: as deployed)
    settings.cache_clear()
    _admin("create-task", model=MODEL, security_level=1, role=0)
    _admin("create-task", model="bench/sampling", security_level=2, role=0)
    _admin("rotate-keys")
    operators.import_key(TENANT, SAMPLE_NODE_KEY.to_keystore())
    assert [daemon.register_node(TENANT)["node_small_id"] for _ in range(2)] == [1, 2]
    daemon.publish_public_key(TENANT, 1, base64.b64encode(bytes(range(32))).decode(), 0)
    for task in (1, 2):
        daemon.subscribe(TENANT, task, PRICE, 1, update=False)
        daemon.subscribe(TENANT, task, 2 * PRICE, 2, update=False)
    balances.credit(TENANT, 10**12)  # what the proxy's locks pay with
    _admin("buy-stack", user=TENANT, task=2, price=PRICE, units=1_000_000)


def _fresh_chain() -> None:
    """Forget in-process chain clients: after a restore, their cached object versions are stale."""
    from nodeplane.network import chain_impl, chainops

    chainops.use(None)
    chain_impl.default_ops.cache_clear()


def build() -> None:
    _pool()
    _network()


# Per-handler state on top of the world, for samples whose success needs something the others must not see.
def _node_in_cluster() -> None:
    from nodeplane.pool import clusters
    from scripts.make_events import CLUSTER, NODE

    clusters.add_nodes(TENANT, CLUSTER, [(NODE, "WORKER")])


def _self_managed_node() -> None:
    from nodeplane import store
    from nodeplane.pool import items
    from scripts.make_events import KEY, NODE

    store.transact(
        [
            store.update(
                items.tenant_pk(TENANT),
                items.node_sk(NODE),
                "SET node_type = :t, node_status = :s, endpoint = :e, username = :u, ssh_key_id = :k",
                values={":t": "SELF_MANAGED", ":s": "FAILED", ":e": "203.0.113.5:22", ":u": "ubuntu", ":k": KEY},
            )
        ]
    )


def _unsubscribed() -> None:
    from nodeplane.network import daemon

    _fresh_chain()
    daemon.unsubscribe(TENANT, 1, None)


def _usage_reported() -> None:
    from nodeplane.network import usage
    from scripts.make_events import SAMPLE_NODE_KEY

    _fresh_chain()
    digest = usage.usage_digest(1, 1, 512, None, "setup-1")
    usage.report_usage(1, 1, 512, None, "setup-1", SAMPLE_NODE_KEY.sign_hashed(digest))


def _claimed() -> None:
    """Stack 1 claimed: node 2 is asked to attest it."""
    from nodeplane.network.settlement import operator_api, tickets

    _usage_reported()
    operator_api.claim_stacks(TENANT, [1], 1, None)
    assert tickets.ticket(1)["requested_attestation_nodes"] == [2]


def _settled() -> None:
    """Stack 1 attested by node 2 and out of its dispute window: its funds can be claimed."""
    from nodeplane import store
    from nodeplane.network.settlement import operator_api, tickets

    _claimed()
    operator_api.submit_attestations(TENANT, [1], 2)
    _admin("advance-epoch", epochs=2)
    ticket = tickets.ticket(1)
    assert ticket and ticket["settlement_status"] == tickets.SETTLED, ticket
    # nodeplane's own dispute window (SETTLEMENT_WINDOW_SECONDS) has passed
    store.transact([store.update(ticket["pk"], ticket["sk"], "SET claimable_at = :zero", values={":zero": 0})])


SETUP: dict[str, Callable[[], None]] = {
    "pool_cluster_node_remove": _node_in_cluster,
    "pool_cluster_deploy": _node_in_cluster,
    "pool_node_rediscover": _self_managed_node,
    "daemon_task_subscribe": _unsubscribed,
    "daemon_claim_stacks": _usage_reported,
    "daemon_claimed_stacks": _claimed,
    "daemon_claimed_stacks_node": _claimed,
    "daemon_attestations": _claimed,
    "daemon_claim_funds": _settled,
}


def prepare(name: str, base: Snapshot) -> None:
    """The world restored, plus what ``name``'s sample needs beyond it (``SETUP``)."""
    base.restore()
    if name in SETUP:
        SETUP[name]()


class Snapshot:
    """Every item of every table the template defines, restorable item by item: all of them (a scan of each
    table), or just the items a recorded list of calls wrote (what a measured run changed)."""

    def __init__(self) -> None:
        self.ddb = boto3.client("dynamodb")
        self.tables = sorted({v for k, v in os.environ.items() if k.endswith("TABLE_NAME")})
        self.keys = {
            table: [k["AttributeName"] for k in self.ddb.describe_table(TableName=table)["Table"]["KeySchema"]]
            for table in self.tables
        }
        self.items = {table: self._scan(table) for table in self.tables}

    def _key(self, table: str, attributes: dict[str, Any]) -> tuple[str, ...]:
        return tuple(attributes[n]["S"] for n in self.keys[table])  # every key attribute here is a string

    def _scan(self, table: str) -> dict[tuple[str, ...], dict[str, Any]]:
        items: dict[tuple[str, ...], dict[str, Any]] = {}
        for page in self.ddb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
            for item in page["Items"]:
                items[self._key(table, item)] = item
        return items

    def _write(self, table: str, writes: list[dict[str, Any]]) -> None:
        for i in range(0, len(writes), 25):
            self.ddb.batch_write_item(RequestItems={table: writes[i : i + 25]})

    def restore(self) -> None:
        for table in self.tables:
            names = self.keys[table]
            current = self._scan(table)
            wanted = self.items[table]
            writes = [
                {"DeleteRequest": {"Key": {n: item[n] for n in names}}}
                for k, item in current.items()
                if k not in wanted
            ]
            writes += [{"PutRequest": {"Item": item}} for k, item in wanted.items() if current.get(k) != item]
            self._write(table, writes)

    def restore_written(self, calls: list[dict[str, Any]]) -> None:
        """Put back the items ``calls`` (as _cold_probe.py --record writes them) put, updated or deleted."""
        written: dict[str, set[tuple[str, ...]]] = {}
        for table, attributes in _writes(calls):
            written.setdefault(table, set()).add(self._key(table, attributes))
        for table, keys in written.items():
            names = self.keys[table]
            wanted = self.items[table]
            writes = [
                {"PutRequest": {"Item": wanted[k]}}
                if k in wanted
                else {"DeleteRequest": {"Key": {n: {"S": v} for n, v in zip(names, k, strict=True)}}}
                for k in keys
            ]
            self._write(table, writes)


def _writes(calls: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """(table, item or key) of every write in ``calls``."""
    out: list[tuple[str, dict[str, Any]]] = []
    for call in calls:
        if call["service"] != "dynamodb":
            continue
        params, operation = call["params"], call["operation"]
        if operation == "PutItem":
            out.append((params["TableName"], params["Item"]))
        elif operation in ("UpdateItem", "DeleteItem"):
            out.append((params["TableName"], params["Key"]))
        elif operation == "TransactWriteItems":
            for action in params["TransactItems"]:
                for kind, body in action.items():
                    if kind == "Put":
                        out.append((body["TableName"], body["Item"]))
                    elif kind in ("Update", "Delete"):
                        out.append((body["TableName"], body["Key"]))
        elif operation == "BatchWriteItem":
            for table, requests in params["RequestItems"].items():
                for request in requests:
                    if "PutRequest" in request:
                        out.append((table, request["PutRequest"]["Item"]))
                    else:
                        out.append((table, request["DeleteRequest"]["Key"]))
    return out
