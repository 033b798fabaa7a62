"""The state every sample event under events/ succeeds on (`nodeplane-local seed`'s), and a way to put it back
between runs. ``Snapshot`` captures the DynamoDB tables and restores them item by item, so each
measured run of a handler (and of its baselines) starts from exactly the same state: a delete deletes, a
subscription subscribes, on every run.
"""

from __future__ import annotations

import os
from typing import Any

import boto3


def _fresh_chain() -> None:
    """Forget in-process chain clients: after a restore, their cached object versions are stale."""
    from nodeplane.network import chain_impl, chainops

    chainops.use(None)
    chain_impl.default_ops.cache_clear()


def build() -> None:
    """The world of `nodeplane-local seed`: every sample succeeds on it."""
    from nodeplane_local import seed

    seed.build()


def prepare(name: str, base: Snapshot) -> None:
    """The world restored before ``name``'s sample runs."""
    base.restore()
    _fresh_chain()


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
