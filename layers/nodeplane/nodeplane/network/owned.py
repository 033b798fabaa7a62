"""The owned objects nodeplane's wallets spend, leased in DynamoDB so no two transactions ever use one version.

On Sui, two in-flight transactions that use the same version of an owned object (a gas coin, a payment coin, a
badge) equivocate: one fails, or the object stays locked until the epoch ends. Every wallet nodeplane signs for
(the purchasing wallet, the admin wallet, each operator's key) therefore keeps a record of each object it spends
(``OWNED#<address>`` / ``<KIND>#<object id>``: version, digest, balance, lease), and a transaction:

1. reads the wallet's records (one consistent Query) and picks free ones;
2. leases them with ONE TransactWriteItems: each record unleased (or its lease expired) AT the version the
   transaction is built with, plus ``CHAINTX#<digest>`` naming the transaction's owned inputs (what
   :func:`lookup_inputs` reads to decide whether a lost transaction can still execute); an operator's
   transactions also take the wallet's own lease (``OWNED#<address>`` / ``LEASE``), so they run one at a time;
3. after execution writes the new refs and balances from the effects (no re-read) and releases the leases,
   in one more write, adding records for coins and badges the transaction created for the wallet.

Each container remembers the wallets it has released (:func:`remembered`), so its next transaction of the same
wallet skips step 1: a record changed meanwhile by another container fails the lease's conditions (version, lease),
and the wallet is then read again. Steps 2 and 3 also carry the caller's own writes when it has some (a settlement
step's guard, the effects of the transaction's events): no extra round trip for them.

A lease outlives any submitter (``WALLET_LEASE_SECONDS``, settings.py); a record whose lease expired with a
transaction still named (``pending``) is re-validated against the chain before anyone uses it again
(:func:`revalidate`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

from nodeplane import clock, store
from nodeplane.chain.access import ChainAccess, ExecutedTransaction, ObjectRef, OwnedObject
from nodeplane.network import items
from nodeplane.settings import settings
from nodeplane.store.dynamo import TransactionFailed

logger = logging.getLogger("nodeplane.owned")

GAS, USDC, BADGE, ADMIN = "GAS", "USDC", "BADGE", "ADMIN"
KINDS: Final = (GAS, USDC, BADGE, ADMIN)
CHAIN_TX_DAYS: Final = 30  # how long a submitted transaction's inputs are kept for lookups


@dataclass(frozen=True)
class Record:
    """One owned object of a wallet as nodeplane last saw it (from an effect or a chain read)."""

    address: str
    kind: str
    object_id: str
    version: int
    digest: str
    balance: int | None = None  # coins
    node_small_id: int | None = None  # node badges
    lease_until: float = 0.0
    holder: str | None = None
    pending: str | None = None  # the digest of the transaction that leased it last, until released

    @property
    def ref(self) -> ObjectRef:
        return ObjectRef(self.object_id, self.version, self.digest)

    def free(self, now: float) -> bool:
        return self.lease_until < now

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Record:
        def number(name: str) -> int | None:
            return int(item[name]) if item.get(name) is not None else None

        return cls(
            address=str(item["address"]),
            kind=str(item["kind"]),
            object_id=str(item["object_id"]),
            version=int(item["version"]),
            digest=str(item["digest"]),
            balance=number("balance"),
            node_small_id=number("node_small_id"),
            lease_until=float(item.get("lease_until") or 0),
            holder=item.get("holder"),
            pending=item.get("pending"),
        )

    def item(self) -> dict[str, Any]:
        return {
            "pk": items.owned_pk(self.address),
            "sk": items.owned_sk(self.kind, self.object_id),
            "entity": "owned_object",
            "address": self.address,
            "kind": self.kind,
            "object_id": self.object_id,
            "version": self.version,
            "digest": self.digest,
            "balance": self.balance,
            "node_small_id": self.node_small_id,
            "lease_until": self.lease_until,
        }


@dataclass(frozen=True)
class Wallet:
    """What one read of a wallet's partition shows: its records and whether its own lease is free."""

    records: list[Record]
    wallet_lease_until: float = 0.0

    def of(self, kind: str) -> list[Record]:
        return [r for r in self.records if r.kind == kind]


# (table, address) -> the wallet as this container last released it: every record free at its known version
_remembered: dict[tuple[str, str], Wallet] = {}


def remembered(address: str) -> Wallet | None:
    """The wallet as this container left it after its last transaction (None: read it). It may be stale: a lease
    taken from it fails on the records that changed, and the caller reads the wallet again."""
    return _remembered.get((settings().table_name, address))


def remember(address: str, wallet: Wallet | None) -> None:
    key = (settings().table_name, address)
    if wallet is None:
        _remembered.pop(key, None)
    else:
        _remembered[key] = wallet


def read(address: str) -> Wallet:
    """Every record of the wallet, consistently (one Query; a wallet holds at most a few hundred objects)."""
    rows: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page, cursor = store.query("pk", items.owned_pk(address), limit=500, cursor=cursor, consistent=True)
        rows += page
        if not cursor:
            break
    lease = next((r for r in rows if r["sk"] == items.WALLET_LEASE), None)
    records = [Record.from_item(r) for r in rows if r["sk"] != items.WALLET_LEASE]
    return Wallet(records, float(lease.get("lease_until") or 0) if lease else 0.0)


# ---------------------------------------------------------------- leases


def lease(
    address: str,
    chosen: Sequence[Record],
    digest: str,
    *,
    holder: str,
    serialise: bool,
    purpose: str,
    extra: Sequence[store.Op] = (),
) -> list[Record]:
    """Take ``chosen`` (each at its version, unleased or expired) for the transaction ``digest``, with the caller's
    ``extra`` writes in the same transaction; raises :class:`TransactionFailed` when another transaction got one
    first (or an extra write's condition failed). Returns the leased records."""
    now = clock.now()
    until = now + settings().wallet_lease_seconds
    values = {":u": until, ":h": holder, ":d": digest, ":now": now}
    ops = [
        store.update(
            items.owned_pk(address),
            items.owned_sk(r.kind, r.object_id),
            "SET lease_until = :u, holder = :h, pending = :d",
            condition="version = :v AND lease_until < :now",
            values=values | {":v": r.version},
            label=r.object_id,
        )
        for r in chosen
    ]
    if serialise:
        ops.append(
            store.update(
                items.owned_pk(address),
                items.WALLET_LEASE,
                "SET lease_until = :u, holder = :h, pending = :d, entity = :e",
                condition="attribute_not_exists(pk) OR lease_until < :now",
                values=values | {":e": "wallet_lease"},
                label="wallet",
            )
        )
    inputs = [[r.object_id, r.version] for r in chosen]
    ops.append(
        store.put(
            {
                "pk": items.chain_tx_pk(digest),
                "sk": "TX",
                "entity": "chain_tx",
                "sender": address,
                "purpose": purpose,
                "inputs": inputs,
                "created_at": now,
                "ttl": int(now) + CHAIN_TX_DAYS * 86400,
            },
            label="tx",  # unconditional: one digest is one transaction, so a rebuilt one has the same inputs
        )
    )
    store.transact([*ops, *extra])
    return [replace(r, lease_until=until, holder=holder, pending=digest) for r in chosen]


def release(
    address: str,
    leased: Sequence[Record],
    holder: str,
    executed: ExecutedTransaction | None,
    *,
    serialise: bool,
    created: Iterable[Record] = (),
    extra: Sequence[store.Op] = (),
) -> tuple[list[Record] | None, bool]:
    """Give the records back, at their new refs when ``executed`` changed them (deleted ones are dropped), with the
    caller's ``extra`` writes in the same transaction when they fit and their conditions hold.

    Returns the records as released (None when some were taken over meanwhile) and whether ``extra`` was written
    (False: the caller writes it itself).
    """
    ops: list[store.Op] = []
    after: list[Record] = []
    for r in leased:
        change = next((c for c in executed.changes if c.object_id == r.object_id), None) if executed else None
        key = (items.owned_pk(address), items.owned_sk(r.kind, r.object_id))
        if change is not None and (change.ref is None or change.owner != address):
            ops.append(store.delete(*key, condition="holder = :h", values={":h": holder}, label=r.object_id))
            continue
        expression, values = "SET lease_until = :z REMOVE pending, holder", {":z": 0, ":h": holder}
        freed = replace(r, lease_until=0.0, holder=None, pending=None)
        if change is not None and change.ref is not None:
            balance = change.balance if change.balance is not None else r.balance
            expression = "SET lease_until = :z, version = :v, digest = :g, balance = :b REMOVE pending, holder"
            values |= {":v": change.ref.version, ":g": change.ref.digest, ":b": balance}
            freed = replace(freed, version=change.ref.version, digest=change.ref.digest, balance=balance)
        after.append(freed)
        ops.append(store.update(*key, expression, condition="holder = :h", values=values, label=r.object_id))
    if serialise:
        ops.append(
            store.update(
                items.owned_pk(address),
                items.WALLET_LEASE,
                "SET lease_until = :z REMOVE pending, holder",
                condition="holder = :h",
                values={":z": 0, ":h": holder},
                label="wallet",
            )
        )
    fresh = [store.put(record.item()) for record in created]  # new objects: nobody has a record of them yet
    if extra and len(ops) + len(fresh) + len(extra) <= 100:
        try:
            store.transact([*ops, *fresh, *extra])
            return after + list(created), True
        except TransactionFailed:
            pass  # an extra write's condition failed (or a lease was taken over): write each part on its own
    intact = True
    for start in range(0, len(ops), 100):
        try:
            store.transact(ops[start : start + 100])
        except TransactionFailed as exc:
            # a lease that expired and was re-validated by someone else: their read of the chain stands
            logger.warning("owned objects of %s were taken over before their release: %s", address, exc)
            intact = False
    for start in range(0, len(fresh), 100):
        store.transact(fresh[start : start + 100])
    return (after + list(created) if intact else None), False


def lookup_inputs(digest: str) -> tuple[str, list[tuple[str, int]]] | None:
    """(sender, [(object id, version)]) of a transaction nodeplane leased objects for; None if it never did."""
    item = store.get(items.chain_tx_pk(digest), "TX")
    if not item:
        return None
    return str(item["sender"]), [(str(i), int(v)) for i, v in item["inputs"]]


# ---------------------------------------------------------------- the chain's word


def from_chain(address: str, kind: str, obj: OwnedObject) -> Record:
    node = obj.fields.get("node_small_id")
    return Record(
        address=address,
        kind=kind,
        object_id=obj.object_id,
        version=obj.ref.version,
        digest=obj.ref.digest,
        balance=obj.balance,
        node_small_id=int(node) if isinstance(node, str | int) and not isinstance(node, bool) else None,
    )


def seed(address: str, kind: str, objects: Iterable[OwnedObject], known: Iterable[Record]) -> int:
    """Records for the wallet's objects on chain that nodeplane has none of yet; how many were added."""
    have = {r.object_id for r in known}
    added = 0
    for obj in objects:
        if obj.object_id in have:
            continue
        try:
            store.transact([store.put(from_chain(address, kind, obj).item(), condition="attribute_not_exists(pk)")])
            added += 1
        except TransactionFailed:
            pass  # recorded by someone else meanwhile
    return added


def revalidate(chain: ChainAccess, record: Record) -> Record | None:
    """Replace a record whose lease expired (or that the chain refused) by what the chain says now.

    Called only when no live transaction holds it: if the transaction it names never executed, the next one
    using this version makes sure it never will. Returns the new record, None when the object is gone.
    """
    info = chain.get_objects([record.object_id])[0]
    key = (items.owned_pk(record.address), items.owned_sk(record.kind, record.object_id))
    condition = "lease_until = :l AND version = :ov"
    values: dict[str, Any] = {":l": record.lease_until, ":ov": record.version}
    try:
        if info is None or info.owner_kind != "address" or info.owner != record.address:
            store.transact([store.delete(*key, condition=condition, values=values)])
            return None
        balance = info.fields.get("balance")
        fresh = replace(
            record,
            version=info.ref.version,
            digest=info.ref.digest,
            balance=int(balance) if isinstance(balance, str | int) and not isinstance(balance, bool) else None,
            lease_until=0.0,
            holder=None,
            pending=None,
        )
        expression = "SET version = :v, digest = :g, balance = :b, lease_until = :z REMOVE pending, holder"
        values |= {":v": fresh.version, ":g": fresh.digest, ":b": fresh.balance, ":z": 0}
        store.transact([store.update(*key, expression, condition=condition, values=values)])
        return fresh
    except TransactionFailed:
        return None  # someone else re-validated or leased it first: read the wallet again
