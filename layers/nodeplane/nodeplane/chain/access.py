"""The chain-access port: what nodeplane reads from and submits to a Sui network, and how that can fail.

Two adapters implement :class:`ChainAccess`: ``chain.ledger_access.LedgerChainAccess`` (the local ledger, in
process) and ``chain.graphql.GraphQLChainAccess`` (a Sui GraphQL RPC over HTTP). Chain operations are written
once over this port. Failures are one of four exceptions, never a transport library's own:

* :class:`ChainUnreachable` - the network could not be asked or did not answer (connection refused, timeout,
  5xx). Nothing is known about a submitted transaction: look it up by digest (known before submission).
* :class:`TransactionRejected` - refused before execution (signature, stale or foreign object, gas); nothing
  changed on chain, not even gas.
* :class:`ChainResponseError` - the endpoint answered, but not with something usable (a query it refused, a
  malformed body): a defect to report, not a condition to retry.
* an executed transaction that aborted is NOT an exception: :attr:`ExecutedTransaction.abort` says why, its gas
  was charged and its gas coin has a new version. :meth:`ExecutedTransaction.raise_for_abort` turns it into
  :class:`TransactionAborted` when a caller wants one.

Types are normalised Sui type strings (every address 64 hex digits), addresses ``0x`` + 64 lowercase hex.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, Literal, Protocol, TypeAlias, TypedDict

from nodeplane.chain.signatures import normalize_address
from nodeplane.chain.transactions import ObjectRef, SharedObject

JsonValue: TypeAlias = "str | int | float | bool | list[JsonValue] | dict[str, JsonValue] | None"
Status = Literal["success", "failure"]
RejectionKind = Literal["signature", "object", "gas", "invalid"]
OwnerKind = Literal["address", "object", "shared", "immutable"]
ChangeKind = Literal["created", "mutated", "deleted"]

__all__ = [
    "ChainAccess",
    "ChainError",
    "ChainResponseError",
    "ChainUnreachable",
    "EpochInfo",
    "EventFilter",
    "EventPage",
    "ExecutedTransaction",
    "GasCost",
    "MoveAbortInfo",
    "ObjectChange",
    "ObjectInfo",
    "ObjectRef",
    "OwnedObject",
    "SharedObject",
    "Simulation",
    "SuiEvent",
    "TransactionAborted",
    "TransactionRejected",
    "normalize_type",
    "shared_object",
    "type_matches",
]


# ---------------------------------------------------------------- errors


class ChainError(Exception):
    """Base of every failure the port reports."""


class ChainUnreachable(ChainError):
    """The network could not be reached or did not answer in time; ``digest`` is set for a submission."""

    def __init__(self, message: str, *, digest: str | None = None) -> None:
        super().__init__(message)
        self.digest = digest


class TransactionRejected(ChainError, ValueError):
    """Refused before execution; nothing changed. ``kind`` says what to fix:

    ``signature`` (not signed by the sender), ``object`` (an input object is stale, missing or not the
    sender's: read its current ref and rebuild), ``gas`` (budget, price or gas coin balance), ``invalid``.
    """

    def __init__(self, message: str, *, kind: RejectionKind = "invalid", digest: str | None = None) -> None:
        super().__init__(message)
        self.kind: RejectionKind = kind
        self.digest = digest


class ChainResponseError(ChainError):
    """The endpoint answered something unusable (GraphQL errors on a query, a malformed body, HTTP 4xx)."""


class TransactionAborted(ChainError):
    """An executed transaction aborted in Move (raised only by :meth:`ExecutedTransaction.raise_for_abort`)."""

    def __init__(self, result: ExecutedTransaction) -> None:
        abort = result.abort
        super().__init__(abort.name or abort.message if abort else "transaction failed")
        self.result = result


# ---------------------------------------------------------------- values


@dataclass(frozen=True)
class OwnedObject:
    """An address-owned Move object: its current ref, type, and Move fields as Sui JSON (u64 as strings)."""

    ref: ObjectRef
    type: str
    owner: str
    fields: dict[str, JsonValue] = field(default_factory=dict)

    @property
    def object_id(self) -> str:
        return self.ref.object_id

    @property
    def balance(self) -> int | None:
        """A coin's balance, None for anything that is not a coin."""
        value = self.fields.get("balance")
        return int(value) if isinstance(value, str | int) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class ObjectInfo:
    """Any object's ref, owner and Move fields; ``initial_shared_version`` is set for shared objects."""

    ref: ObjectRef
    type: str | None
    owner_kind: OwnerKind
    owner: str | None = None  # the owning address or object for "address" / "object"
    initial_shared_version: int | None = None
    fields: dict[str, JsonValue] = field(default_factory=dict)


@dataclass(frozen=True)
class EpochInfo:
    epoch_id: int
    reference_gas_price: int


@dataclass(frozen=True)
class GasCost:
    """Gas in MIST; what the sender pays is ``total``."""

    computation: int = 0
    storage: int = 0
    rebate: int = 0

    @property
    def total(self) -> int:
        return self.computation + self.storage - self.rebate


@dataclass(frozen=True)
class MoveAbortInfo:
    """Why an executed transaction failed: ``name`` is the abort constant (e.g. ``EDisputeWindowNotOver``)."""

    message: str
    name: str | None = None
    code: int | None = None
    function: str | None = None  # "module::function" when known


@dataclass(frozen=True)
class ObjectChange:
    """An object a transaction created, mutated or deleted; ``ref`` is its NEW ref (None when deleted)."""

    object_id: str
    kind: ChangeKind
    ref: ObjectRef | None
    type: str | None = None
    owner_kind: OwnerKind | None = None
    owner: str | None = None
    initial_shared_version: int | None = None  # for a shared object
    fields: dict[str, JsonValue] = field(default_factory=dict)  # its Move fields after the transaction, if known

    @property
    def balance(self) -> int | None:
        """A coin's balance after the transaction, None when not a coin or not reported."""
        value = self.fields.get("balance")
        return int(value) if isinstance(value, str | int) and not isinstance(value, bool) else None


class EventId(TypedDict):
    txDigest: str
    eventSeq: str


class SuiEvent(TypedDict):
    """An event in Sui's JSON shape, as the projection consumes it (vector<u8> as a list of numbers)."""

    id: EventId
    packageId: str
    transactionModule: str
    sender: str
    type: str
    parsedJson: dict[str, JsonValue]
    timestampMs: str | None


@dataclass(frozen=True)
class ExecutedTransaction:
    """The outcome of an executed transaction (success or Move abort) and its effects."""

    digest: str
    status: Status
    abort: MoveAbortInfo | None = None
    events: tuple[SuiEvent, ...] = ()
    changes: tuple[ObjectChange, ...] = ()
    gas: GasCost = GasCost()
    epoch: int | None = None

    @property
    def ok(self) -> bool:
        return self.status == "success"

    def new_ref(self, object_id: str) -> ObjectRef | None:
        """The ref an input or created object has after this transaction (what its next user must pass)."""
        oid = normalize_address(object_id)
        for change in self.changes:
            if change.object_id == oid:
                return change.ref
        return None

    def created(self, type_filter: str = "") -> list[ObjectChange]:
        return [c for c in self.changes if c.kind == "created" and type_matches(type_filter, c.type or "")]

    def raise_for_abort(self) -> ExecutedTransaction:
        if not self.ok:
            raise TransactionAborted(self)
        return self


@dataclass(frozen=True)
class Simulation:
    """A dry run: what executing the transaction would do, and the gas it would use."""

    status: Status
    gas: GasCost
    abort: MoveAbortInfo | None = None
    events: tuple[SuiEvent, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status == "success"


@dataclass(frozen=True)
class EventFilter:
    """Events of one Move type (``pkg::db::StackCreatedEvent``, or a prefix: ``pkg``, ``pkg::db``) or one module.

    Sui refuses a filter with both; give one (or neither, for every event).
    """

    type: str | None = None
    module: str | None = None

    def __post_init__(self) -> None:
        if self.type and self.module:
            raise ValueError("an event filter takes a type or a module, not both")


@dataclass(frozen=True)
class EventPage:
    """Events after a cursor, oldest first; pass ``cursor`` as ``after`` for the next page.

    ``cursor`` is the position after the last event returned, or the given ``after`` when there is nothing new;
    ``cursors[i]`` is the position after ``events[i]`` (to resume after a partly processed page).
    """

    events: tuple[SuiEvent, ...]
    cursor: str | None
    has_next_page: bool
    cursors: tuple[str, ...] = ()


# ---------------------------------------------------------------- the port


class ChainAccess(Protocol):
    def owned_objects(self, owner: str, type_filter: str) -> list[OwnedObject]:
        """Every object ``owner`` holds whose type matches ``type_filter`` (see :func:`type_matches`)."""
        ...

    def get_objects(self, object_ids: Sequence[str]) -> list[ObjectInfo | None]:
        """Current ref and owner of each object, in order; None for an object that does not exist."""
        ...

    def epoch(self) -> EpochInfo:
        """The current epoch and its reference gas price."""
        ...

    def simulate(self, tx_bytes: bytes) -> Simulation:
        """Dry-run unsigned ``TransactionData`` bytes; raises :class:`TransactionRejected` like ``execute``."""
        ...

    def execute(self, tx_bytes: bytes, signatures: Sequence[str]) -> ExecutedTransaction:
        """Execute signed bytes. Resubmitting the same bytes returns the recorded outcome (never applied twice)."""
        ...

    def transaction(self, digest: str) -> ExecutedTransaction | None:
        """The outcome of an executed transaction, None if the network does not know the digest."""
        ...

    def events(self, event_filter: EventFilter, after: str | None = None, limit: int = 50) -> EventPage:
        """At most ``limit`` events matching ``event_filter`` after the cursor ``after``."""
        ...


def get_object(chain: ChainAccess, object_id: str) -> ObjectInfo | None:
    return chain.get_objects([object_id])[0]


def object_ref(chain: ChainAccess, object_id: str) -> ObjectRef:
    """The current ref of an object; :class:`ChainResponseError` if it does not exist."""
    info = get_object(chain, object_id)
    if info is None:
        raise ChainResponseError(f"object {object_id} does not exist")
    return info.ref


def shared_object(chain: ChainAccess, object_id: str, *, mutable: bool = True) -> SharedObject:
    """A shared object as a transaction input (its initial shared version never changes: cache it)."""
    info = get_object(chain, object_id)
    if info is None or info.initial_shared_version is None:
        raise ChainResponseError(f"object {object_id} is not a shared object")
    return SharedObject(info.ref.object_id, info.initial_shared_version, mutable)


# ---------------------------------------------------------------- Move type strings

_ADDRESS_IN_TYPE: Final = re.compile(r"0x[0-9a-fA-F]+")


def normalize_type(type_name: str) -> str:
    """Every address in a Move type string as 0x + 64 lowercase hex (Sui's canonical ``repr``)."""
    return _ADDRESS_IN_TYPE.sub(lambda m: normalize_address(m.group(0)), type_name.replace(" ", ""))


def type_matches(type_filter: str, type_name: str) -> bool:
    """Sui's ObjectFilter/EventFilter ``type`` rule: a package, ``pkg::module``, ``pkg::module::Name`` (any
    instantiation) or a full instantiation. An empty filter matches everything."""
    if not type_filter:
        return True
    want, have = normalize_type(type_filter), normalize_type(type_name)
    if "<" in want:
        return want == have
    base = have.split("<", 1)[0]
    return base == want or base.startswith(want + "::")
