"""Root resolvers of the stand-in: Sui GraphQL's Query and Mutation fields over the local ledger.

Reads and writes go through the chain-access port's in-process adapter (``LedgerChainAccess``), so the stand-in
serves exactly what the in-process path sees. Fields nodeplane does not use resolve to null.
"""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Callable
from typing import Any, Final, TypeVar

from graphql import GraphQLError

from nodeplane.chain.access import (
    ChainError,
    ChainUnreachable,
    EventFilter,
    ExecutedTransaction,
    TransactionRejected,
    type_matches,
)
from nodeplane.chain.ledger import LocalLedger
from nodeplane.chain.ledger_access import LedgerChainAccess
from nodeplane.chain.signatures import SignatureError, decode_serialized, normalize_address
from nodeplane_local.sui_rpc import nodes
from nodeplane_local.sui_rpc.nodes import Node, connection, user_error

F = TypeVar("F", bound=Callable[..., Any])
SERVICE_LIMITS: Final = {
    "maxQueryDepth": 20,
    "maxQueryNodes": 300,
    "maxOutputNodes": 100_000,
    "maxQueryPayloadSize": 5_000,
    "maxTransactionPayloadSize": 174_763,
    "maxMultiGetSize": 50,
    "maxTypeArgumentDepth": 16,
    "maxTypeArgumentWidth": 32,
    "maxTypeNodes": 256,
    "maxMoveValueDepth": 128,
    "maxMoveValueBound": 1_048_576,
    "mutationTimeoutMs": 74_000,
    "queryTimeoutMs": 40_000,
}


def _status(message: str) -> str:
    """A full node's refusal as the RPC relays it (a gRPC status rendered as text)."""
    return f'status: InvalidArgument, message: "{message}", details: [], metadata: MetadataMap {{ headers: {{}} }}'


def port_errors(fn: F) -> F:
    """The ledger's failures as GraphQL errors: unreachable storage is the server's fault, the rest the user's."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ChainUnreachable as exc:
            raise GraphQLError(str(exc), extensions={"code": "INTERNAL_SERVER_ERROR"}) from exc
        except ChainError as exc:
            raise user_error(str(exc)) from exc

    return wrapper  # type: ignore[return-value]


class Backend:
    """What the nodes read: the ledger, through the port's in-process adapter."""

    def __init__(self, ledger: LocalLedger) -> None:
        self.ledger = ledger
        self.access = LedgerChainAccess(ledger)

    def address(self, address: str) -> Node:
        addr = normalize_address(address)

        def objects(info: Any, filter: dict[str, Any] | None = None, **page: Any) -> Node:
            type_filter = str((filter or {}).get("type") or "")
            owned = self.access.owned_objects(addr, type_filter)
            return connection(owned, lambda i, o: o.object_id, lambda o: nodes.owned_node(o, self), **page)

        def balance(info: Any, coinType: str) -> Node:
            coins = self.access.owned_objects(addr, f"0x2::coin::Coin<{coinType}>")
            total = sum(c.balance or 0 for c in coins)
            return {"coinType": nodes.move_type(coinType, lambda: None), "totalBalance": str(total)}

        return {"address": addr, "objects": port_errors(objects), "balance": port_errors(balance)}

    def current_fields(self, object_id: str, version: int) -> Any:
        info = self.access.get_objects([object_id])[0]
        return info.fields if info is not None and info.ref.version == version else None

    def epoch_node(self, epoch_id: int) -> Node:
        price = self.ledger.reference_gas_price()
        return {"epochId": epoch_id, "referenceGasPrice": str(price), "protocolConfigs": protocol_configs()}

    def transaction_node(self, digest: str) -> Node | None:
        tx = self.access.transaction(digest)
        if tx is None:
            return None
        return {"digest": digest, "effects": nodes.effects_node(tx, self), "signatures": []}

    def known_transaction_node(self, digest: str) -> Node:
        """A transaction known to exist (an event's): its effects are read only if asked for."""

        def effects(info: Any) -> Node | None:
            tx = self.access.transaction(digest)
            return nodes.effects_node(tx, self) if tx is not None else None

        return {"digest": digest, "effects": effects, "signatures": []}

    def object_node(self, object_id: str) -> Node | None:
        info = self.access.get_objects([normalize_address(object_id)])[0]
        return nodes.object_node(info, self) if info is not None else None


def protocol_configs() -> Node:
    return {"protocolVersion": 1, "configs": [], "featureFlags": [], "config": None, "featureFlag": None}


def _decode_base64(value: str, what: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise user_error(f"Invalid {what}: not base64") from None


class Root:
    """Query and Mutation fields (graphql-core calls ``field(info, **arguments)``)."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    @property
    def ledger(self) -> LocalLedger:
        return self.backend.ledger

    # ------------------------------------------------------------ chain state

    def chainIdentifier(self, info: Any) -> str:
        return str(self.ledger.info()["package"])[2:10]

    @port_errors
    def epoch(self, info: Any, epochId: int | None = None) -> Node | None:
        current = self.backend.access.epoch().epoch_id
        if epochId is not None and epochId > current:
            return None
        return self.backend.epoch_node(current if epochId is None else epochId)

    @port_errors
    def checkpoint(self, info: Any, sequenceNumber: int | None = None) -> Node | None:
        """Every committed ledger write is a checkpoint here; only the latest one is kept."""
        head = self.ledger.info()
        latest = self.ledger.checkpoint()
        if sequenceNumber is not None and sequenceNumber != latest["sequence_number"]:
            return None
        return {
            "sequenceNumber": latest["sequence_number"],
            "timestamp": nodes.iso(latest["timestamp_ms"]),
            "epoch": self.backend.epoch_node(int(head["epoch"])),
        }

    def serviceConfig(self, info: Any) -> Node:
        return SERVICE_LIMITS | {
            "defaultPageSize": lambda info, type, field: nodes.DEFAULT_PAGE_SIZE,
            "maxPageSize": lambda info, type, field: nodes.MAX_PAGE_SIZE,
        }

    def protocolConfigs(self, info: Any, version: int | None = None) -> Node | None:
        return protocol_configs() if version in (None, 1) else None

    # ------------------------------------------------------------ objects

    def address(self, info: Any, address: str, rootVersion: int | None = None) -> Node:
        return self.backend.address(address)

    @port_errors
    def object(self, info: Any, address: str, version: int | None = None, **bounds: Any) -> Node | None:
        found = self.backend.object_node(address)
        if found is None or (version is not None and found["version"] != version):
            return None  # only the latest version is kept
        return found

    @port_errors
    def multiGetObjects(self, info: Any, keys: list[dict[str, Any]]) -> list[Node | None]:
        if len(keys) > SERVICE_LIMITS["maxMultiGetSize"]:
            raise user_error(f"Too many keys: {len(keys)} > {SERVICE_LIMITS['maxMultiGetSize']}")
        return [self.object(info, k["address"], k.get("version")) for k in keys]

    @port_errors
    def objects(self, info: Any, filter: dict[str, Any], **page: Any) -> Node:
        owner, kind, type_filter = filter.get("owner"), filter.get("ownerKind"), filter.get("type")
        if owner and kind in (None, "ADDRESS"):
            objects: Callable[..., Node] = self.backend.address(owner)["objects"]
            return objects(info, filter={"type": type_filter}, **page)
        if kind == "SHARED" and type_filter:
            db = self.backend.access.get_objects([self.ledger.info()["db_id"]])[0]
            shared = [db] if db is not None and type_matches(type_filter, db.type or "") else []
            return connection(
                shared, lambda i, o: o.ref.object_id, lambda o: nodes.object_node(o, self.backend), **page
            )
        raise user_error("This RPC only lists objects by owner, or shared objects by type")

    # ------------------------------------------------------------ transactions

    @port_errors
    def transaction(self, info: Any, digest: str) -> Node | None:
        return self.backend.transaction_node(digest)

    @port_errors
    def transactionEffects(self, info: Any, digest: str) -> Node | None:
        tx = self.backend.access.transaction(digest)
        return nodes.effects_node(tx, self.backend) if tx is not None else None

    @port_errors
    def multiGetTransactionEffects(self, info: Any, keys: list[str]) -> list[Node | None]:
        return [self.transactionEffects(info, k) for k in keys]

    @port_errors
    def simulateTransaction(self, info: Any, transaction: Any, **options: Any) -> Node:
        bcs = transaction.get("bcs") if isinstance(transaction, dict) else None
        if not isinstance(bcs, dict) or not isinstance(bcs.get("value"), str):
            raise user_error('This RPC simulates serialized transactions only: {"bcs": {"value": "<base64>"}}')
        tx_bytes = _decode_base64(bcs["value"], "transaction BCS")
        try:
            executed = self.backend.access.dry_run(tx_bytes)
        except TransactionRejected as exc:
            return {"effects": None, "error": _status(str(exc)), "outputs": None}
        return {"effects": nodes.effects_node(executed, self.backend), "error": None, "outputs": []}

    @port_errors
    def executeTransaction(self, info: Any, transactionDataBcs: str, signatures: list[str]) -> Node:
        tx_bytes = _decode_base64(transactionDataBcs, "BCS encoding in transaction data")
        for index, signature in enumerate(signatures):
            try:
                decode_serialized(signature)
            except SignatureError as exc:
                raise user_error(f"Invalid signature format in signature {index}: {exc.reason}") from None
        try:
            executed: ExecutedTransaction = self.backend.access.execute(tx_bytes, signatures)
        except TransactionRejected as exc:
            if str(exc).startswith("cannot decode transaction"):
                raise user_error(f"Invalid BCS encoding in transaction data: {exc}") from None
            return {"effects": None, "errors": [_status(str(exc))]}
        return {"effects": nodes.effects_node(executed, self.backend), "errors": None}

    # ------------------------------------------------------------ events

    @port_errors
    def events(self, info: Any, filter: dict[str, Any] | None = None, **page: Any) -> Node:
        filter = filter or {}
        if filter.get("type") and filter.get("module"):
            raise user_error("Filtering by both emitting module and event type is not supported")
        if page.get("last") is not None or page.get("before") is not None:
            raise user_error("This RPC pages events forwards only (first/after)")
        size = nodes.page_size(page.get("first"), None)
        sender = normalize_address(filter["sender"]) if filter.get("sender") else None
        event_filter = EventFilter(type=filter.get("type"), module=filter.get("module"))
        after = nodes.decode_cursor(page.get("after"))
        result = self.backend.access.events(event_filter, after, size)
        edges = [
            (cursor, nodes.event_node(event, self.backend))
            for cursor, event in zip(result.cursors, result.events, strict=True)
            if sender is None or event["sender"] == sender
        ]
        return nodes.page_of(edges, has_next=result.has_next_page, has_previous=after is not None)
