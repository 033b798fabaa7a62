"""The chain operations the network domain needs, behind one port.

The domain (locks, settlement, the operator API) calls these; the production implementation
(network/chain_impl.py) builds, signs and submits real Sui transactions over the chain-access port (a Sui GraphQL
RPC, or the local ledger when none is configured). Tests may install a fake with :func:`use`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from nodeplane.store import Op

# A Move call's pure arguments: integers (u64, u8), booleans, strings, byte vectors, vectors of u64, an empty option.
PureArg = int | bool | str | bytes | list[int] | None


@dataclass
class TxOutcome:
    """A submitted transaction: its digest (known before submission) and the events it emitted."""

    digest: str
    events: list[dict[str, Any]] = field(default_factory=list)
    ok: bool = True
    error: str | None = None

    def event(self, name: str) -> dict[str, Any] | None:
        """parsedJson of the first event of that type name."""
        for event in self.events:
            if str(event.get("type", "")).rsplit("::", 1)[-1] == name:
                return dict(event["parsedJson"])
        return None


@dataclass(frozen=True)
class Lookup:
    """What the chain says of a transaction digest.

    ``outcome`` is the executed transaction (ok or aborted), or None when the chain does not know the digest.
    ``final`` is True when that answer can no longer change: the transaction executed, or it can never execute
    (e.g. the gas coin version it spends has been consumed by another transaction).
    """

    outcome: TxOutcome | None
    final: bool


@dataclass(frozen=True)
class GasOptions:
    """The seed's optional gas fields of an operator transaction (`gas`, `gas_budget`, `gas_price`)."""

    coin: str | None = None  # object id of one of the signer's SUI coins to pay gas with
    budget: int | None = None  # MIST
    price: int | None = None  # MIST per gas unit; at least the reference gas price


@dataclass
class Guard:
    """Writes that ride with a chain call's own DynamoDB writes (the lease of its owned objects before it, their
    release after it: network/owned.py), so guarding the call costs no extra round trip.

    ``begin`` is written with the lease; when one of its conditions fails, nothing is sent and :class:`GuardRefused`
    says why. ``finish(outcome)`` is written with the release when it fits and its conditions hold; ``finished``
    tells the caller whether it was (if not, the caller writes it itself).
    """

    begin: list[Op]
    finish: Callable[[TxOutcome], list[Op]]
    finished: bool = False


class GuardRefused(Exception):
    """A condition of a guard's ``begin`` failed: the call was not made. ``failures`` are the store's, with the
    items as they were (TransactionFailed.failures)."""

    def __init__(self, failures: list[Any]) -> None:
        super().__init__(", ".join(f"{f.label}:{f.code}" for f in failures))
        self.failures = failures


def guarded(guard: Guard | None, call: Callable[[], TxOutcome]) -> TxOutcome:
    """A guarded call for an implementation without leases of its own (a fake chain): the guard's writes go
    around the call, each on its own."""
    from nodeplane import store

    if guard is None:
        return call()
    try:
        store.transact(guard.begin)
    except store.TransactionFailed as exc:
        raise GuardRefused(exc.failures) from exc
    outcome = call()
    try:
        store.transact(guard.finish(outcome))
        guard.finished = True
    except store.TransactionFailed:
        guard.finished = False
    return outcome


# Called with a transaction's digest once it is signed and before it is submitted; if it raises, nothing is sent.
# It is called again with a new digest when the network refused an attempt (which can then never execute) and the
# transaction is rebuilt from fresh object versions: the last digest is the one that may execute.
BeforeSubmit = Callable[[str], None]


class ChainOps(Protocol):
    def buy_stack(
        self,
        *,
        task_small_id: int,
        num_compute_units: int,
        price_cap: int,
        purchase_id: str | None = None,
        before_submit: BeforeSubmit | None = None,
    ) -> TxOutcome:
        """`db::acquire_new_stack_entry` paid by nodeplane's purchasing wallet; StackCreatedEvent inside.

        ``purchase_id`` names the purchase (the saga's intent): two purchases never build the same transaction.
        ``before_submit`` lets the caller record the digest durably before any money can move on chain.
        """
        ...

    def lookup(self, digest: str) -> Lookup:
        """The chain's answer for a digest recorded before submission (a purchase whose response was lost)."""
        ...

    def claim_funds_for_stacks(
        self,
        *,
        operator: str,
        node_small_id: int,
        stack_small_ids: list[int],
        units: list[int],
        guard: Guard | None = None,
    ) -> TxOutcome:
        """`db::claim_funds_for_stacks` signed by the operator's key (confidential stacks)."""
        ...

    def try_settle_stack(
        self,
        *,
        operator: str,
        node_small_id: int,
        stack_small_id: int,
        units: int,
        proof: bytes,
        leaf: bytes,
        guard: Guard | None = None,
    ) -> TxOutcome:
        """`db::try_settle_stack` (sampling-consensus stacks); StackTrySettleEvent inside."""
        ...

    def submit_attestation(
        self,
        *,
        operator: str,
        node_small_id: int,
        stack_small_id: int,
        proof: bytes,
        leaf: bytes,
        guard: Guard | None = None,
    ) -> TxOutcome:
        """`db::submit_stack_settlement_attestation` by a sampled attestation node."""
        ...

    def submit_attestations(
        self,
        *,
        operator: str,
        node_small_id: int,
        attestations: list[tuple[int, bytes, bytes]],
        guard: Guard | None = None,
    ) -> TxOutcome:
        """One transaction of `db::submit_stack_settlement_attestation` calls, one per (stack, proof, leaf), by one
        attestation node: all of them happen, or none."""
        ...

    def claim_funds(
        self, *, operator: str, node_small_id: int, ticket_ids: list[int], guard: Guard | None = None
    ) -> TxOutcome:
        """`db::claim_funds` for settled tickets (several at once: the contract takes a vector of ticket ids)."""
        ...

    def events_since(self, cursor: str | None, limit: int) -> tuple[list[dict[str, Any]], str | None]:
        """Chain events in order after ``cursor`` (Sui JSON shape) and the next cursor."""
        ...

    def register_node(self, operator: str, gas: GasOptions | None = None) -> TxOutcome:
        """`db::register_node_entry` signed by the operator's key; NodeRegisteredEvent inside."""
        ...

    def operator_calls(
        self,
        operator: str,
        node_small_ids: list[int],
        function: str,
        pure: Sequence[PureArg],
        gas: GasOptions | None = None,
    ) -> TxOutcome:
        """One transaction with the same `db::<function>` call for each of the operator's nodes (its badge first)."""
        ...

    def admin_call(self, function: str, pure: Sequence[PureArg]) -> TxOutcome:
        """`db::<function>` with the admin badge, signed by nodeplane's admin wallet (tasks, key rotations)."""
        ...


_installed: ChainOps | None = None


def use(ops: ChainOps | None) -> None:
    """Install an implementation (tests install fakes; None restores the default)."""
    global _installed
    _installed = ops


def ops() -> ChainOps:
    global _installed
    if _installed is None:
        from nodeplane.network.chain_impl import default_ops

        _installed = default_ops()
    return _installed
