"""Executing one transaction as Sui would: signature by the sender, current object versions, gas, then the
``atoma::db`` call(s) on a snapshot (an abort keeps only the gas charge), Lamport versions and events."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Final

from nodeplane.chain.access import TransactionRejected
from nodeplane.chain.contract import RANDOM_OBJECT_ID, SUI_COIN_TYPE
from nodeplane.chain.decoding import decode_move_call
from nodeplane.chain.ledger import atoma_db, coin_ops
from nodeplane.chain.ledger.context import Ctx, MoveAbort
from nodeplane.chain.ledger.store import SHARED, View, object_digest, object_key
from nodeplane.chain.signatures import (
    SignatureError,
    normalize_address,
    transaction_signing_digest,
    verify_serialized,
)
from nodeplane.chain.transactions import DecodedTransaction, SharedObject, TransactionError

RANDOM_INITIAL_SHARED_VERSION: Final = 1
GAS_UNITS_PER_TX: Final = 1_000  # a flat gas_price·1000 MIST per transaction, charged also when it aborts


@dataclass(frozen=True)
class TxResult:
    """A transaction's recorded outcome. ``changed``: every object it created or mutated, with its new ref
    ({object_id, version, digest, type, owner, kind}); ``gas_used`` in MIST."""

    digest: str
    status: str  # "success" | "failure"
    error: str | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    created: list[dict[str, Any]] = field(default_factory=list)  # [{"object_id", "type", "owner"}]
    changed: list[dict[str, Any]] = field(default_factory=list)
    gas_used: int = 0
    epoch: int | None = None


def decode(tx_bytes: bytes) -> DecodedTransaction:
    try:
        return decode_move_call(tx_bytes)
    except TransactionError as exc:
        raise TransactionRejected(f"cannot decode transaction: {exc}") from None


def verify_signatures(tx_bytes: bytes, tx: DecodedTransaction, signatures: list[str]) -> None:
    if not signatures:
        raise TransactionRejected("transaction is not signed: expect 1 signer signatures but got 0", kind="signature")
    signing_digest = transaction_signing_digest(tx_bytes)
    for sig in signatures:
        try:
            verify_serialized(sig, signing_digest, expected_address=tx.sender)
        except SignatureError as exc:
            raise TransactionRejected(
                f"Invalid user signature: signature refused: {exc.reason}", kind="signature"
            ) from None
    if normalize_address(tx.gas.owner) != tx.sender:
        raise TransactionRejected("sponsored transactions are not supported")


def _owned_inputs(view: View, tx: DecodedTransaction) -> dict[str, dict[str, Any]]:
    owned: dict[str, dict[str, Any]] = {}
    for ref in tx.owned_inputs():
        obj = view.get(*object_key(normalize_address(ref.object_id)))
        if obj is None:
            raise TransactionRejected(
                f"Could not find the referenced object {ref.object_id} at version {ref.version}", kind="object"
            )
        if obj["version"] != ref.version or obj["digest"] != ref.digest:
            raise TransactionRejected(
                f"object {ref.object_id} version {ref.version} is not current (current {obj['version']}): "
                "it is not available for consumption",
                kind="object",
            )
        if obj["owner"] != tx.sender:
            raise TransactionRejected(
                f"object {ref.object_id} is not owned by the sender: it is owned by {obj['owner']}", kind="object"
            )
        owned[obj["object_id"]] = obj
    return owned


def _check_calls(head: dict[str, Any], tx: DecodedTransaction) -> None:
    shared_versions = {
        head["db_id"]: head["db_initial_shared_version"],
        RANDOM_OBJECT_ID: RANDOM_INITIAL_SHARED_VERSION,
    }
    for call in tx.calls:
        if call.package != head["package"]:
            raise TransactionRejected(f"unknown package {call.package}")
        first = call.arguments[0] if call.arguments else None
        if not (
            isinstance(first, SharedObject) and normalize_address(first.object_id) == head["db_id"] and first.mutable
        ):
            raise TransactionRejected(f"{call.function}: first argument must be the mutable AtomaDb object")
        for arg in call.arguments[1:]:
            if isinstance(arg, SharedObject) and normalize_address(arg.object_id) != RANDOM_OBJECT_ID:
                raise TransactionRejected(f"{call.function}: unexpected shared object {arg.object_id}")
        for arg in call.arguments:
            if isinstance(arg, SharedObject):
                oid = normalize_address(arg.object_id)
                if shared_versions.get(oid) != arg.initial_shared_version:
                    raise TransactionRejected(f"unknown shared object {oid}@{arg.initial_shared_version}")


def _gas_fee(tx: DecodedTransaction, owned: dict[str, dict[str, Any]], reference_gas_price: int) -> int:
    if not tx.gas.payment:
        raise TransactionRejected("no gas payment", kind="gas")
    gas_coin = owned[normalize_address(tx.gas.payment[0].object_id)]
    if gas_coin["type"] != SUI_COIN_TYPE:
        raise TransactionRejected("gas payment is not a SUI coin", kind="gas")
    if tx.gas.price < reference_gas_price:
        raise TransactionRejected(
            f"Gas price {tx.gas.price} under reference gas price (RGP) {reference_gas_price}", kind="gas"
        )
    fee = tx.gas.price * GAS_UNITS_PER_TX
    if tx.gas.budget < fee:
        raise TransactionRejected(f"Gas budget: {tx.gas.budget} is lower than min: {fee}", kind="gas")
    if gas_coin["fields"]["balance"] < tx.gas.budget:
        raise TransactionRejected(
            f"gas coin balance is below the gas budget: Balance of gas object {gas_coin['fields']['balance']} "
            f"is lower than the needed amount: {tx.gas.budget}",
            kind="gas",
        )
    return fee


def execute(
    view: View,
    head: dict[str, Any],
    tx: DecodedTransaction,
    digest: str,
    *,
    reference_gas_price: int,
    cross_validation_permille: int,
    timestamp_ms: int,
) -> TxResult:
    """Check the inputs (raising TransactionRejected) and apply the calls to ``view`` and ``head``."""
    owned = _owned_inputs(view, tx)
    if len(owned) != len(tx.owned_inputs()):
        raise TransactionRejected("an owned object is given twice (DuplicateObjectRefInput)")
    _check_calls(head, tx)
    gas_fee = _gas_fee(tx, owned, reference_gas_price)

    # Execute on a snapshot so an abort leaves only the gas charge, as on Sui.
    writes_before = dict(view.writes)
    head_before = copy.deepcopy(head)
    ctx = Ctx(view, head, tx, digest, cross_validation_permille=cross_validation_permille)
    status, error = "success", None
    try:
        if tx.coin_commands:
            coin_ops.apply(ctx)
        for call in tx.calls:
            atoma_db.call(ctx, call.function, call.arguments[1:])
    except MoveAbort as exc:
        view.writes = writes_before
        head.clear()
        head.update(head_before)
        ctx.events.clear()
        ctx.created.clear()
        ctx.deleted.clear()
        status, error = "failure", exc.reason

    changed = _bump_versions(view, head, tx, ctx, owned, gas_fee)
    events = _record_events(view, head, tx, ctx, digest, timestamp_ms)
    created = [{k: c[k] for k in ("object_id", "type", "owner")} for c in changed if c["kind"] == "created"]
    return TxResult(
        digest=digest,
        status=status,
        error=error,
        events=events,
        created=created,
        changed=changed,
        gas_used=gas_fee,
        epoch=head["epoch"],
    )


def _bump_versions(
    view: View, head: dict[str, Any], tx: DecodedTransaction, ctx: Ctx, owned: dict[str, dict[str, Any]], gas_fee: int
) -> list[dict[str, Any]]:
    """Lamport versioning: every owned input, the shared AtomaDb and every new object move to max(inputs) + 1."""
    db = view.get(*object_key(head["db_id"]))
    assert db is not None
    uses_db = any(isinstance(a, SharedObject) and a.object_id == head["db_id"] for c in tx.calls for a in c.arguments)
    lamport = max([o["version"] for o in owned.values()] + [db["version"]]) + 1
    gas_obj = ctx.obj(normalize_address(tx.gas.payment[0].object_id))
    gas_obj["fields"]["balance"] -= gas_fee
    ctx.save_obj(gas_obj)
    touched = [(oid, "mutated") for oid in owned if oid not in ctx.deleted] + [(oid, "created") for oid in ctx.created]
    if uses_db:
        touched.append((db["object_id"], "mutated"))
    changed = []
    for oid, kind in touched:
        obj = view.get(*object_key(oid))
        assert obj is not None
        obj["version"] = lamport
        obj["digest"] = object_digest(obj)
        view.put(*object_key(oid), obj)
        changed.append(
            {
                "object_id": oid,
                "version": lamport,
                "digest": obj["digest"],
                "type": obj["type"],
                "owner": obj["owner"],
                "kind": kind,
                "fields": obj["fields"],
            }
        )
        if obj["owner"] == SHARED:
            changed[-1]["initial_shared_version"] = head["db_initial_shared_version"]
    for oid in ctx.deleted:
        gone = owned[oid]
        changed.append({"object_id": oid, "version": lamport, "type": gone["type"], "owner": gone["owner"]})
        changed[-1] |= {"kind": "deleted", "digest": None}
    return changed


def _record_events(
    view: View, head: dict[str, Any], tx: DecodedTransaction, ctx: Ctx, digest: str, timestamp_ms: int
) -> list[dict[str, Any]]:
    events = []
    for seq, (name, parsed) in enumerate(ctx.events):
        head["counters"]["event"] += 1
        event = {
            "id": {"txDigest": digest, "eventSeq": str(seq)},
            "packageId": head["package"],
            "transactionModule": "db",
            "sender": tx.sender,
            "type": f"{head['package']}::db::{name}",
            "parsedJson": parsed,
            "timestampMs": str(timestamp_ms),
        }
        events.append(event)
        view.put("EVENT", f"{head['counters']['event']:020d}", event)
    return events
