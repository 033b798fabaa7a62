"""GraphQL response objects for the stand-in, built from the chain-access port's values.

Each node is a dict whose keys are schema fields; a field that takes arguments or costs a read is a callable
``(info, **arguments)``, so graphql-core's default resolver runs it only when a document asks for it. A field a
node does not have resolves to null, as on a server that has no data for it.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, TypeVar

from graphql import GraphQLError

from nodeplane.chain.access import ExecutedTransaction, ObjectChange, ObjectInfo, OwnedObject, SuiEvent
from nodeplane_local.sui_rpc import move

if TYPE_CHECKING:
    from nodeplane_local.sui_rpc.resolvers import Backend

T = TypeVar("T")
DEFAULT_PAGE_SIZE: Final = 20
MAX_PAGE_SIZE: Final = 50
Node = dict[str, Any]


def user_error(message: str) -> GraphQLError:
    """An error that is the caller's fault (Sui's BAD_USER_INPUT)."""
    return GraphQLError(message, extensions={"code": "BAD_USER_INPUT"})


# ---------------------------------------------------------------- connections


def encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode()


def decode_cursor(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    try:
        return base64.urlsafe_b64decode(cursor.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        raise user_error(f"Failed to parse cursor: {cursor}") from None


def page_size(first: int | None, last: int | None) -> int:
    if first is not None and last is not None:
        raise user_error("Cannot provide both 'first' and 'last'")
    size = first if first is not None else last if last is not None else DEFAULT_PAGE_SIZE
    if size > MAX_PAGE_SIZE:
        raise user_error(f"Connection's page size of {size} exceeds max of {MAX_PAGE_SIZE}")
    if size < 0:
        raise user_error("Page size must not be negative")
    return size


def connection(
    items: Sequence[T],
    key: Callable[[int, T], str],
    node: Callable[[T], Node],
    *,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Node:
    """A Relay connection over ``items`` in order; cursors are the encoded ``key(index, item)``."""
    size = page_size(first, last)
    keyed = [(key(i, item), item) for i, item in enumerate(items)]
    lo, hi = 0, len(keyed)
    after_key, before_key = decode_cursor(after), decode_cursor(before)
    if after_key is not None:
        lo = next((i + 1 for i, (k, _) in enumerate(keyed) if k == after_key), len(keyed))
    if before_key is not None:
        hi = next((i for i, (k, _) in enumerate(keyed) if k == before_key), hi)
    window = keyed[lo:hi]
    page = window[-size:] if last is not None and first is None else window[:size]
    start = lo + (len(window) - len(page) if last is not None and first is None else 0)
    return page_of(
        [(k, node(item)) for k, item in page], has_next=start + len(page) < hi, has_previous=start > lo or lo > 0
    )


def page_of(edges: list[tuple[str, Node]], *, has_next: bool, has_previous: bool = False) -> Node:
    cursors = [encode_cursor(k) for k, _ in edges]
    return {
        "edges": [{"cursor": c, "node": n} for c, (_, n) in zip(cursors, edges, strict=True)],
        "nodes": [n for _, n in edges],
        "pageInfo": {
            "hasNextPage": has_next,
            "hasPreviousPage": has_previous,
            "startCursor": cursors[0] if cursors else None,
            "endCursor": cursors[-1] if cursors else None,
        },
    }


# ---------------------------------------------------------------- Move values and types


def iso(ms: int | str | None) -> str | None:
    if ms is None:
        return None
    return datetime.fromtimestamp(int(ms) / 1000, tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def move_type(type_name: str, layout: Callable[[], Any]) -> Node:
    return {"repr": type_name, "layout": lambda info: layout(), "signature": lambda info: move.signature(type_name)}


def move_value(type_name: str, json_value: Any, layout: Callable[[], Any]) -> Node:
    """A MoveValue; ``json_value`` may be a callable ``(info)`` that reads the value only when asked for."""

    def value(info: Any) -> Any:
        return json_value(info) if callable(json_value) else json_value

    def bcs(info: Any) -> str | None:
        lo, current = layout(), value(info)
        return base64.b64encode(move.to_bcs(current, lo)).decode() if lo is not None and current is not None else None

    return {"type": move_type(type_name, layout), "json": value, "bcs": bcs}


# ---------------------------------------------------------------- addresses and objects


def owner(kind: str | None, address: str | None, initial_shared_version: int | None, backend: Backend) -> Node | None:
    if kind == "shared":
        return {"__typename": "Shared", "initialSharedVersion": initial_shared_version}
    if kind == "immutable":
        return {"__typename": "Immutable"}
    if kind in ("address", "object") and address:
        typename = "AddressOwner" if kind == "address" else "ObjectOwner"
        return {"__typename": typename, "address": backend.address(address)}
    return None


def _object_fields(
    object_id: str, version: int, digest: str, owner_node: Any, type_name: str | None, json_value: Any
) -> Node:
    """An Object / MoveObject; ``owner_node`` and ``json_value`` may be callables (read only when asked for)."""
    contents = (
        move_value(type_name, json_value, lambda: move.object_layout(type_name)) if type_name is not None else None
    )
    move_object = {
        "address": object_id,
        "version": version,
        "digest": digest,
        "owner": owner_node,
        "contents": contents,
        "hasPublicTransfer": True,
        "storageRebate": "0",
    }
    return move_object | {"asMoveObject": move_object if type_name is not None else None, "asMovePackage": None}


def object_node(info: ObjectInfo, backend: Backend) -> Node:
    owner_node = owner(info.owner_kind, info.owner, info.initial_shared_version, backend)
    ref = info.ref
    return _object_fields(ref.object_id, ref.version, ref.digest, owner_node, info.type, info.fields)


def owned_node(obj: OwnedObject, backend: Backend) -> Node:
    owner_node = owner("address", obj.owner, None, backend)
    return _object_fields(obj.ref.object_id, obj.ref.version, obj.ref.digest, owner_node, obj.type, obj.fields)


def change_node(change: ObjectChange, backend: Backend) -> Node:
    output = None
    if change.ref is not None:
        ref = change.ref

        def current(info: Any) -> Any:
            return backend.current_fields(ref.object_id, ref.version)

        owner_node = owner(change.owner_kind, change.owner, change.initial_shared_version, backend)
        fields = change.fields or current  # the ledger records an object's fields with the transaction
        output = _object_fields(ref.object_id, ref.version, ref.digest, owner_node, change.type, fields)
    return {
        "address": change.object_id,
        "idCreated": change.kind == "created",
        "idDeleted": change.kind == "deleted",
        "inputState": None,
        "outputState": output,
    }


# ---------------------------------------------------------------- events and effects


def event_node(event: SuiEvent, backend: Backend) -> Node:
    def layout() -> Any:
        return move.event_layout(event["type"])

    lo = layout()
    json_value = move.to_graphql_json(event["parsedJson"], lo) if lo is not None else event["parsedJson"]
    digest = event["id"]["txDigest"]
    return {
        "sequenceNumber": int(event["id"]["eventSeq"]),
        "timestamp": iso(event.get("timestampMs")),
        "sender": backend.address(event["sender"]),
        "transactionModule": {"name": event["transactionModule"], "package": {"address": event["packageId"]}},
        "contents": move_value(event["type"], json_value, layout),
        "transaction": lambda info: backend.known_transaction_node(digest),
    }


def abort_node(tx: ExecutedTransaction) -> Node | None:
    if tx.ok or tx.abort is None:
        return None
    abort = tx.abort
    return {
        "message": abort.message,
        "abortCode": str(abort.code) if abort.code is not None else None,
        "identifier": abort.name,
        "module": None,
        "function": None,
    }


def effects_node(tx: ExecutedTransaction, backend: Backend) -> Node:
    versions = [c.ref.version for c in tx.changes if c.ref is not None]

    def object_changes(info: Any, **page: Any) -> Node:
        return connection(tx.changes, lambda i, c: f"c{i}", lambda c: change_node(c, backend), **page)

    def events(info: Any, **page: Any) -> Node:
        return connection(tx.events, lambda i, e: f"e{i}", lambda e: event_node(e, backend), **page)

    return {
        "digest": tx.digest,
        "status": "SUCCESS" if tx.ok else "FAILURE",
        "lamportVersion": max(versions) if versions else None,
        "epoch": backend.epoch_node(tx.epoch) if tx.epoch is not None else None,
        "executionError": abort_node(tx),
        "gasEffects": {
            "gasSummary": {
                "computationCost": tx.gas.computation,
                "storageCost": tx.gas.storage,
                "storageRebate": tx.gas.rebate,
                "nonRefundableStorageFee": 0,
            }
        },
        "objectChanges": object_changes,
        "events": events,
        "transaction": lambda info: backend.transaction_node(tx.digest),
    }
