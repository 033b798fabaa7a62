"""The ledger's object store: consistent reads, buffered writes, and one TransactWriteItems per commit.

Every commit puts the head item conditional on the version read at the start, so two writers can never both
apply: the loser gets :class:`Conflict` and re-executes on fresh state.
"""

from __future__ import annotations

import copy
import json
from typing import Any, Final

from nodeplane.chain.access import TransactionRejected
from nodeplane.chain.signatures import b58encode, blake2b256

HEAD: Final = ("LEDGER", "HEAD")
MAX_ITEMS_PER_COMMIT: Final = 100  # TransactWriteItems' limit
SHARED: Final = "shared"  # the owner of a shared object


class Conflict(Exception):
    """The head version moved under us: re-execute on fresh state."""


def object_key(object_id: str) -> tuple[str, str]:
    return f"OBJ#{object_id}", "OBJ"


def owner_key(owner: str, object_id: str) -> tuple[str, str]:
    return f"OWNER#{owner}", f"OBJ#{object_id}"


def tx_key(digest: str) -> tuple[str, str]:
    return f"TX#{digest}", "TX"


class View:
    """Reads through to DynamoDB (consistent), buffers writes for one TransactWriteItems."""

    def __init__(self, ddb: Any, table: str) -> None:
        self._ddb, self._table = ddb, table
        self.reads: dict[tuple[str, str], dict[str, Any] | None] = {}
        self.writes: dict[tuple[str, str], dict[str, Any] | None] = {}

    def get(self, pk: str, sk: str) -> dict[str, Any] | None:
        key = (pk, sk)
        if key in self.writes:
            return copy.deepcopy(self.writes[key])
        if key not in self.reads:
            res = self._ddb.get_item(TableName=self._table, Key={"pk": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=True)
            item = res.get("Item")
            self.reads[key] = json.loads(item["data"]["S"]) if item else None
        return copy.deepcopy(self.reads[key])

    def put(self, pk: str, sk: str, data: dict[str, Any]) -> None:
        self.writes[(pk, sk)] = copy.deepcopy(data)

    def delete(self, pk: str, sk: str) -> None:
        self.writes[(pk, sk)] = None

    def query(self, pk: str, prefix: str) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :p)",
            "ExpressionAttributeValues": {":pk": {"S": pk}, ":p": {"S": prefix}},
            "ConsistentRead": True,
        }
        while True:
            res = self._ddb.query(**kwargs)
            for item in res["Items"]:
                out[item["sk"]["S"]] = json.loads(item["data"]["S"])
            if "LastEvaluatedKey" not in res:
                break
            kwargs["ExclusiveStartKey"] = res["LastEvaluatedKey"]
        for (wpk, wsk), data in self.writes.items():
            if wpk == pk and wsk.startswith(prefix):
                if data is None:
                    out.pop(wsk, None)
                else:
                    out[wsk] = copy.deepcopy(data)
        return dict(sorted(out.items()))

    def head(self) -> dict[str, Any]:
        head = self.get(*HEAD)
        if head is None:
            raise RuntimeError("ledger has no genesis; call genesis() first")
        return head


def commit(ddb: Any, table: str, view: View, expected_version: int | None) -> None:
    """Write the view's buffered items at once; the head is put only if its version is still ``expected``."""
    head = view.writes.get(HEAD)
    assert head is not None, "every ledger write goes through the head"
    head["version"] = (expected_version or 0) + 1
    actions: list[dict[str, Any]] = []
    for (pk, sk), data in view.writes.items():
        key = {"pk": {"S": pk}, "sk": {"S": sk}}
        if (pk, sk) == HEAD:
            action: dict[str, Any] = {"TableName": table, "Item": key | {"data": {"S": json.dumps(data)}}}
            if expected_version is None:
                action["ConditionExpression"] = "attribute_not_exists(pk)"
            else:
                action["ConditionExpression"] = "#v = :v"
                action["ExpressionAttributeNames"] = {"#v": "version"}
                action["ExpressionAttributeValues"] = {":v": {"N": str(expected_version)}}
            action["Item"]["version"] = {"N": str(head["version"])}
            actions.insert(0, {"Put": action})
        elif data is None:
            actions.append({"Delete": {"TableName": table, "Key": key}})
        else:
            actions.append({"Put": {"TableName": table, "Item": key | {"data": {"S": json.dumps(data)}}}})
    if len(actions) > MAX_ITEMS_PER_COMMIT:
        raise TransactionRejected(f"transaction touches more than {MAX_ITEMS_PER_COMMIT} ledger items")
    try:
        ddb.transact_write_items(TransactItems=actions)
    except ddb.exceptions.TransactionCanceledException as exc:
        raise Conflict() from exc


# ---------------------------------------------------------------- objects


def object_digest(obj: dict[str, Any]) -> str:
    body = {k: obj[k] for k in ("object_id", "type", "owner", "version", "fields")}
    return b58encode(blake2b256(json.dumps(body, sort_keys=True).encode()))


def save_object(view: View, obj: dict[str, Any]) -> None:
    obj["digest"] = object_digest(obj)
    view.put(*object_key(obj["object_id"]), obj)


def create_object(
    view: View,
    head: dict[str, Any],
    type_name: str,
    owner: str,
    fields: dict[str, Any],
    *,
    object_id: str | None = None,
    version: int = 1,
) -> str:
    """A new object; ``type_name`` without ``::`` is a type of the atoma package's ``db`` module."""
    head["counters"]["object"] += 1
    if object_id is None:
        seed = head["db_id"].encode() + b"obj" + str(head["counters"]["object"]).encode()
        object_id = "0x" + blake2b256(seed).hex()
    full_type = type_name if "::" in type_name else f"{head['package']}::db::{type_name}"
    obj = {"object_id": object_id, "type": full_type, "owner": owner, "version": version, "fields": fields}
    save_object(view, obj)
    if owner != SHARED:
        view.put(*owner_key(owner, object_id), {"type": full_type})
    return object_id
