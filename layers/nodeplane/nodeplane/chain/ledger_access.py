"""Adapter 1 of the chain-access port: the local ledger, in process (the default when no Sui RPC is set).

The ledger lives in DynamoDB, so "unreachable" here means DynamoDB could not be reached or did not answer:
a transaction whose commit may have happened is then found again with :meth:`transaction`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import Any, Final, TypeVar, cast

from nodeplane.chain.access import (
    ChainResponseError,
    ChainUnreachable,
    EpochInfo,
    EventFilter,
    EventPage,
    ExecutedTransaction,
    GasCost,
    JsonValue,
    MoveAbortInfo,
    ObjectChange,
    ObjectInfo,
    OwnedObject,
    OwnerKind,
    Simulation,
    SuiEvent,
    normalize_type,
    type_matches,
)
from nodeplane.chain.contract import COIN_FIELDS, OBJECT_FIELDS, RANDOM_OBJECT_ID
from nodeplane.chain.ledger import LedgerBusy, LocalLedger, TxResult
from nodeplane.chain.ledger.execution import RANDOM_INITIAL_SHARED_VERSION
from nodeplane.chain.signatures import normalize_address, transaction_digest
from nodeplane.chain.transactions import ObjectRef

T = TypeVar("T")
RANDOM_TYPE: Final = "0x2::random::Random"
_UNCHANGED_DIGEST: Final = "11111111111111111111111111111111"  # base58 of 32 zero bytes
_TRANSIENT_CODES: Final = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded", "InternalServerError"}
)


@contextmanager
def _dynamodb_errors(digest: str | None = None) -> Iterator[None]:
    """DynamoDB's failures as the port's: unreachable/timeouts/throttling vs anything else."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except LedgerBusy as exc:
        raise ChainUnreachable(str(exc), digest=digest) from exc
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code in _TRANSIENT_CODES or status >= 500:
            raise ChainUnreachable(f"the ledger's DynamoDB failed: {code}", digest=digest) from exc
        raise ChainResponseError(f"the ledger's DynamoDB refused a request: {code}") from exc
    except BotoCoreError as exc:  # connection refused, connect/read timeouts, ...
        raise ChainUnreachable(f"the ledger's DynamoDB is unreachable: {exc}", digest=digest) from exc


def move_fields(obj: dict[str, Any]) -> dict[str, JsonValue]:
    """A ledger object's Move fields as Sui JSON: its id, u64 and balances as strings."""
    name = obj["type"].split("<", 1)[0].rsplit("::", 1)[-1]
    layout = COIN_FIELDS if name == "Coin" else OBJECT_FIELDS.get(name, ())
    out: dict[str, JsonValue] = {"id": obj["object_id"]}
    for field_name, move_type in layout:
        value = obj["fields"].get(field_name)
        out[field_name] = str(value) if move_type in ("u64", "Balance") and value is not None else value
    return out


def _owner_kind(owner: str) -> tuple[OwnerKind, str | None]:
    return ("shared", None) if owner == "shared" else ("address", owner)


def to_executed(result: TxResult) -> ExecutedTransaction:
    changes = []
    for c in result.changed:
        kind, owner = _owner_kind(c["owner"])
        deleted = c["kind"] == "deleted"
        changes.append(
            ObjectChange(
                object_id=c["object_id"],
                kind=c["kind"],
                ref=None if deleted else ObjectRef(c["object_id"], c["version"], c["digest"]),
                type=normalize_type(c["type"]),
                owner_kind=None if deleted else kind,
                owner=None if deleted else owner,
                initial_shared_version=c.get("initial_shared_version"),
                fields=move_fields(c) if "fields" in c else {},
            )
        )
    return ExecutedTransaction(
        digest=result.digest,
        status="success" if result.status == "success" else "failure",
        abort=_abort(result),
        events=tuple(cast(list[SuiEvent], result.events)),
        changes=tuple(changes),
        gas=GasCost(computation=result.gas_used),
        epoch=result.epoch,
    )


def _abort(result: TxResult) -> MoveAbortInfo | None:
    if result.status == "success":
        return None
    name = result.error or "unknown"
    return MoveAbortInfo(message=f"Move abort in the atoma::db module: {name}", name=name)


def _event_matches(event_filter: EventFilter, event: SuiEvent) -> bool:
    if event_filter.module:
        want = normalize_type(event_filter.module)
        emitted_by = normalize_type(f"{event['packageId']}::{event['transactionModule']}")
        return emitted_by == want or emitted_by.startswith(want + "::")
    return type_matches(event_filter.type or "", event["type"])


class LedgerChainAccess:
    """The chain-access port over a :class:`LocalLedger`."""

    def __init__(self, ledger: LocalLedger) -> None:
        self.ledger = ledger

    def _call(self, fn: Callable[[], T], digest: str | None = None) -> T:
        with _dynamodb_errors(digest):
            return fn()

    def owned_objects(self, owner: str, type_filter: str) -> list[OwnedObject]:
        objects = self._call(lambda: self.ledger.owned_objects(normalize_address(owner)))
        return [
            OwnedObject(
                ref=ObjectRef(o["object_id"], o["version"], o["digest"]),
                type=normalize_type(o["type"]),
                owner=o["owner"],
                fields=move_fields(o),
            )
            for o in objects
            if type_matches(type_filter, o["type"])
        ]

    def get_objects(self, object_ids: Sequence[str]) -> list[ObjectInfo | None]:
        return [self._object(normalize_address(oid)) for oid in object_ids]

    def _object(self, object_id: str) -> ObjectInfo | None:
        if object_id == RANDOM_OBJECT_ID:
            ref = ObjectRef(RANDOM_OBJECT_ID, RANDOM_INITIAL_SHARED_VERSION, _UNCHANGED_DIGEST)
            return ObjectInfo(ref, normalize_type(RANDOM_TYPE), "shared", None, RANDOM_INITIAL_SHARED_VERSION)
        obj = self._call(lambda: self.ledger.get_object(object_id))
        if obj is None:
            return None
        ref = ObjectRef(obj["object_id"], obj["version"], obj["digest"])
        if obj["owner"] == "shared":
            shared_version = self._call(self.ledger.info)["db_initial_shared_version"]
            return ObjectInfo(ref, normalize_type(obj["type"]), "shared", None, shared_version, move_fields(obj))
        return ObjectInfo(ref, normalize_type(obj["type"]), "address", obj["owner"], None, move_fields(obj))

    def epoch(self) -> EpochInfo:
        return EpochInfo(self._call(self.ledger.epoch), self.ledger.reference_gas_price())

    def simulate(self, tx_bytes: bytes) -> Simulation:
        executed = self.dry_run(tx_bytes)
        return Simulation(executed.status, executed.gas, executed.abort, executed.events)

    def dry_run(self, tx_bytes: bytes) -> ExecutedTransaction:
        """The full effects a simulation predicts (what the Sui GraphQL stand-in serves for a dry run)."""
        return to_executed(self._call(lambda: self.ledger.dry_run(tx_bytes)))

    def execute(self, tx_bytes: bytes, signatures: Sequence[str]) -> ExecutedTransaction:
        digest = transaction_digest(tx_bytes)
        result = self._call(lambda: self.ledger.submit(tx_bytes, list(signatures)), digest)
        return to_executed(result)

    def transaction(self, digest: str) -> ExecutedTransaction | None:
        result = self._call(lambda: self.ledger.transaction(digest))
        return to_executed(result) if result is not None else None

    def events(self, event_filter: EventFilter, after: str | None = None, limit: int = 50) -> EventPage:
        matched: list[tuple[str, SuiEvent]] = []
        scanned = after
        while len(matched) <= limit:  # one more than asked tells whether there is a next page
            batch = self._call(partial(self.ledger.events_after, scanned, max(limit, 50)))
            if not batch:
                break
            for key, event in batch:
                scanned = key
                if _event_matches(event_filter, cast(SuiEvent, event)):
                    matched.append((key, cast(SuiEvent, event)))
                    if len(matched) > limit:
                        break
        page = matched[:limit]
        cursors = tuple(k for k, _ in page)
        return EventPage(tuple(e for _, e in page), cursors[-1] if cursors else after, len(matched) > limit, cursors)
