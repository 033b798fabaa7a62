"""Thin, typed helpers over the DynamoDB low-level client.

Every request path uses GetItem / Query (bounded by ``Limit``) / TransactWriteItems only: no Scan.
Invariants live in condition expressions, so two Lambdas racing cannot break them.
"""

from __future__ import annotations

import base64
import binascii
import contextvars
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from botocore.exceptions import ClientError

from nodeplane import aws
from nodeplane.errors import BadRequest
from nodeplane.settings import settings
from nodeplane.store.attributes import deserialize, serialize


@lru_cache(maxsize=1)
def dynamodb() -> Any:
    """The container's DynamoDB client, created on first use (endpoint from AWS_ENDPOINT_URL_*)."""
    return aws.client("dynamodb")


def _values(values: dict[str, Any] | None) -> dict[str, Any]:
    return serialize(values) if values else {}


# items a step has just read or written, answered from memory by get() inside known() (per thread, per context)
_known: contextvars.ContextVar[dict[tuple[str, str, str], dict[str, Any]] | None] = contextvars.ContextVar(
    "known", default=None
)


@contextmanager
def known(*items: dict[str, Any] | None) -> Iterator[None]:
    """Within the block, get() of one of ``items`` (by pk/sk, on the default table) answers from memory: a step
    that has just read them does not read them again. Only for what cannot have changed in a way that matters:
    every write still carries its own condition. With no items, the block reads everything afresh."""
    table = settings().table_name
    memo = dict(_known.get() or {}) if items else {}
    memo.update({(table, str(i["pk"]), str(i["sk"])): i for i in items if i})
    token = _known.set(memo)
    try:
        yield
    finally:
        _known.reset(token)


def get(
    pk: str, sk: str, *, table: str | None = None, consistent: bool = True, remembered: bool = True
) -> dict[str, Any] | None:
    """One item (consistently unless told); inside :func:`known`, a known item from memory unless ``remembered``
    is False."""
    memo = _known.get() if remembered else None
    if memo:
        hit = memo.get((table or settings().table_name, pk, sk))
        if hit is not None:
            return dict(hit)
    response = dynamodb().get_item(
        TableName=table or settings().table_name,
        Key=serialize({"pk": pk, "sk": sk}),
        ConsistentRead=consistent,
    )
    item = response.get("Item")
    return deserialize(item) if item else None


def encode_cursor(key: dict[str, Any] | None) -> str | None:
    if not key:
        return None
    raw = json.dumps(deserialize(key), separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
        if not isinstance(key, dict) or not all(isinstance(v, str | int) for v in key.values()):
            raise ValueError("not a key")
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise BadRequest("cursor is not a cursor returned by this API") from exc
    return serialize(key)


def query(
    pk_name: str,
    pk: str,
    *,
    sk_name: str = "sk",
    sk_prefix: str | None = None,
    sk_between: tuple[str, str] | None = None,
    index: str | None = None,
    limit: int = 100,
    cursor: str | None = None,
    forward: bool = True,
    filter_expression: str | None = None,
    names: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    table: str | None = None,
    consistent: bool = False,
) -> tuple[list[dict[str, Any]], str | None]:
    """One Query call: at most ``limit`` items read, plus the cursor of the next page."""
    expr = "#pk = :pk"
    expr_names = {"#pk": pk_name, **(names or {})}
    expr_values: dict[str, Any] = {":pk": pk, **(values or {})}
    if sk_prefix is not None:
        expr += " AND begins_with(#sk, :skp)"
        expr_names["#sk"] = sk_name
        expr_values[":skp"] = sk_prefix
    elif sk_between is not None:
        expr += " AND #sk BETWEEN :sk1 AND :sk2"
        expr_names["#sk"] = sk_name
        expr_values[":sk1"], expr_values[":sk2"] = sk_between
    kwargs: dict[str, Any] = {
        "TableName": table or settings().table_name,
        "KeyConditionExpression": expr,
        "ExpressionAttributeNames": expr_names,
        "ExpressionAttributeValues": serialize(expr_values),
        "Limit": limit,
        "ScanIndexForward": forward,
    }
    if index:
        kwargs["IndexName"] = index
    elif consistent:
        kwargs["ConsistentRead"] = True
    if filter_expression:
        kwargs["FilterExpression"] = filter_expression
    start = decode_cursor(cursor)
    if start:
        kwargs["ExclusiveStartKey"] = start
    try:
        response = dynamodb().query(**kwargs)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ValidationException" and start:
            raise BadRequest("cursor does not belong to this listing") from exc
        raise
    items = [deserialize(i) for i in response.get("Items", [])]
    return items, encode_cursor(response.get("LastEvaluatedKey"))


@dataclass
class Op:
    """One action of a TransactWriteItems call."""

    kind: str
    body: dict[str, Any]
    label: str = ""


def put(
    item: dict[str, Any],
    *,
    condition: str | None = None,
    names: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    table: str | None = None,
    label: str = "",
) -> Op:
    body: dict[str, Any] = {"TableName": table or settings().table_name, "Item": serialize(item)}
    _conditions(body, condition, names, values)
    return Op("Put", body, label)


def update(
    pk: str,
    sk: str,
    expression: str,
    *,
    condition: str | None = None,
    names: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    table: str | None = None,
    label: str = "",
) -> Op:
    body: dict[str, Any] = {
        "TableName": table or settings().table_name,
        "Key": serialize({"pk": pk, "sk": sk}),
        "UpdateExpression": expression,
    }
    _conditions(body, condition, names, values)
    return Op("Update", body, label)


def delete(
    pk: str,
    sk: str,
    *,
    condition: str | None = None,
    names: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    table: str | None = None,
    label: str = "",
) -> Op:
    return _keyed("Delete", pk, sk, condition, names, values, table, label)


def check(
    pk: str,
    sk: str,
    condition: str,
    *,
    names: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    table: str | None = None,
    label: str = "",
) -> Op:
    return _keyed("ConditionCheck", pk, sk, condition, names, values, table, label)


def _keyed(
    kind: str,
    pk: str,
    sk: str,
    condition: str | None,
    names: dict[str, str] | None,
    values: dict[str, Any] | None,
    table: str | None,
    label: str,
) -> Op:
    """An operation on one item named by its key (Delete, ConditionCheck)."""
    body: dict[str, Any] = {"TableName": table or settings().table_name, "Key": serialize({"pk": pk, "sk": sk})}
    _conditions(body, condition, names, values)
    return Op(kind, body, label)


def _conditions(
    body: dict[str, Any], condition: str | None, names: dict[str, str] | None, values: dict[str, Any] | None
) -> None:
    if condition:
        body["ConditionExpression"] = condition
        body["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    if names:
        body["ExpressionAttributeNames"] = names
    if values:
        body["ExpressionAttributeValues"] = _values(values)


@dataclass
class Failure:
    label: str
    code: str
    old: dict[str, Any] | None


@dataclass
class TransactionFailed(Exception):
    """A condition of the transaction did not hold; ``failures`` names which and shows the old items."""

    failures: list[Failure] = field(default_factory=list)

    def failed(self, label: str) -> Failure | None:
        return next((f for f in self.failures if f.label == label), None)

    def __str__(self) -> str:
        return ", ".join(f"{f.label}:{f.code}" for f in self.failures) or "transaction cancelled"


def transact(ops: list[Op], *, token: str | None = None) -> None:
    """Apply all ops atomically (up to 100); raise TransactionFailed if any condition fails."""
    if len(ops) == 1 and not token:
        _single(ops[0])
        return
    kwargs: dict[str, Any] = {"TransactItems": [{op.kind: op.body} for op in ops]}
    if token:
        kwargs["ClientRequestToken"] = token
    try:
        dynamodb().transact_write_items(**kwargs)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "TransactionCanceledException":
            raise
        reasons = exc.response.get("CancellationReasons", [])
        failures = []
        for op, reason in zip(ops, reasons, strict=False):
            code = reason.get("Code", "None")
            if code != "None":
                old = reason.get("Item")
                failures.append(Failure(op.label, code, deserialize(old) if old else None))
        # TransactionConflict also lands here: another writer touched the same items; callers may retry.
        raise TransactionFailed(failures) from exc


def _single(op: Op) -> None:
    """A one-item transaction is cheaper as a plain conditional write with the same semantics."""
    client = dynamodb()
    body = dict(op.body)
    try:
        if op.kind == "Put":
            client.put_item(**body)
        elif op.kind == "Update":
            client.update_item(**body)
        elif op.kind == "Delete":
            client.delete_item(**body)
        else:
            client.transact_write_items(TransactItems=[{op.kind: body}])
    except ClientError as exc:
        code = exc.response["Error"]["Code"]
        if code == "ConditionalCheckFailedException":
            old = exc.response.get("Item")
            raise TransactionFailed(
                [Failure(op.label, "ConditionalCheckFailed", deserialize(old) if old else None)]
            ) from exc
        if code == "TransactionConflictException":
            # the item is inside another writer's transaction just now, as a transaction's TransactionConflict
            raise TransactionFailed([Failure(op.label, "TransactionConflict", None)]) from exc
        if code == "TransactionCanceledException":
            reasons = exc.response.get("CancellationReasons", [{}])
            old = reasons[0].get("Item") if reasons else None
            raise TransactionFailed(
                [
                    Failure(
                        op.label,
                        reasons[0].get("Code", "ConditionalCheckFailed"),
                        deserialize(old) if old else None,
                    )
                ]
            ) from exc
        raise
