"""``LocalLedger``: the ledger's public face (reads, submit, dry run, lookups, genesis, faucet, epoch)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from nodeplane.chain.access import TransactionRejected
from nodeplane.chain.contract import CROSS_VALIDATION_PROBABILITY_PERMILLE
from nodeplane.chain.ledger import genesis as genesis_
from nodeplane.chain.ledger.execution import RANDOM_INITIAL_SHARED_VERSION, TxResult, decode, execute, verify_signatures
from nodeplane.chain.ledger.store import HEAD, Conflict, View, commit, object_key, tx_key
from nodeplane.chain.signatures import normalize_address, transaction_digest
from nodeplane.chain.transactions import ObjectRef, SharedObject

T = TypeVar("T")
# One writer at a time within a process (the local runtime's functions, the stand-in's requests): commits then
# rarely lose the optimistic race on the head, which still serialises writers across processes.
_WRITER = threading.RLock()  # re-entrant: a commit hook in tests submits a rival transaction


class LedgerBusy(RuntimeError):
    """Too many concurrent writers: the commit kept losing the race."""


class LocalLedger:
    """Sui + atoma::db stand-in persisted in DynamoDB (one table, ``pk``/``sk`` strings)."""

    def __init__(
        self,
        dynamodb_client: Any,
        table_name: str,
        *,
        admin_address: str,
        gas_price: int = 1000,
        cross_validation_probability_permille: int = CROSS_VALIDATION_PROBABILITY_PERMILLE,
        clock_ms: Callable[[], int] | None = None,
        max_retries: int = 20,
    ) -> None:
        self._ddb = dynamodb_client
        self._table = table_name
        self._admin = normalize_address(admin_address)
        self._gas_price = gas_price
        self._cross_validation = cross_validation_probability_permille
        self._clock = clock_ms or (lambda: int(time.time() * 1000))
        self._max_retries = max_retries

    def _view(self) -> View:
        return View(self._ddb, self._table)

    # ------------------------------------------------------------ reads

    def reference_gas_price(self) -> int:
        return self._gas_price

    def epoch(self) -> int:
        return int(self._view().head()["epoch"])

    def get_object(self, object_id: str) -> dict[str, Any] | None:
        return self._view().get(*object_key(normalize_address(object_id)))

    def object_ref(self, object_id: str) -> ObjectRef:
        obj = self.get_object(object_id)
        if obj is None:
            raise KeyError(object_id)
        return ObjectRef(obj["object_id"], obj["version"], obj["digest"])

    def owned_objects(self, address: str, type_suffix: str = "") -> list[dict[str, Any]]:
        view = self._view()
        out = []
        for sk in view.query(f"OWNER#{normalize_address(address)}", "OBJ#"):
            obj = view.get(sk, "OBJ")
            if obj and obj["type"].endswith(type_suffix):
                out.append(obj)
        return out

    def events_since(self, cursor: str | None, limit: int = 50) -> tuple[list[dict[str, Any]], str | None]:
        """Events after ``cursor`` (their 20-digit sequence keys), oldest first, and the last key returned."""
        items = self.events_after(cursor, limit)
        return [event for _, event in items], (items[-1][0] if items else cursor)

    def events_after(self, cursor: str | None, limit: int) -> list[tuple[str, dict[str, Any]]]:
        """``(cursor of the event, event)`` for at most ``limit`` events after ``cursor``, oldest first."""
        items = self._ddb.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND sk > :c",
            ExpressionAttributeValues={":pk": {"S": "EVENT"}, ":c": {"S": cursor or "0"}},
            Limit=limit,
            ConsistentRead=True,
        )["Items"]
        return [(i["sk"]["S"], json.loads(i["data"]["S"])) for i in items]

    def checkpoint(self) -> dict[str, int]:
        """The latest "checkpoint": every committed ledger write is one (its sequence number is the head version)."""
        return {"sequence_number": int(self._view().head().get("version", 0)), "timestamp_ms": self._clock()}

    def transaction(self, digest: str) -> TxResult | None:
        """The recorded outcome of an applied transaction, None for a digest the ledger never applied."""
        done = self._view().get(*tx_key(digest))
        return TxResult(**done) if done is not None else None

    def info(self) -> dict[str, Any]:
        """Package id, AtomaDb shared object, admin badge, USDC type, epoch: what a builder needs."""
        head = self._view().head()
        return {k: head[k] for k in genesis_.INFO_KEYS} | {
            "random_initial_shared_version": RANDOM_INITIAL_SHARED_VERSION
        }

    def admin(self) -> str:
        """The address the ledger takes admin calls from (the AtomaManagerBadge's holder)."""
        return str(self._view().head()["admin"])

    def shared_db(self) -> SharedObject:
        head = self._view().head()
        return SharedObject(head["db_id"], head["db_initial_shared_version"], True)

    # ------------------------------------------------------------ admin (not transactions)

    def genesis(self) -> dict[str, Any]:
        """Create the package id, the AtomaDb shared object and the admin's AtomaManagerBadge (idempotent)."""
        genesis_.genesis(self._ddb, self._table, self._admin)
        return self.info()

    def faucet(self, address: str, *, sui: int = 0, usdc: int = 0) -> list[ObjectRef]:
        """Mint a SUI gas coin and/or a USDC coin to ``address`` so local users can pay."""
        address = normalize_address(address)
        ids = self._write(lambda view, head: genesis_.mint(view, head, address, sui=sui, usdc=usdc))
        return [self.object_ref(i) for i in ids]

    def grant_admin(self, address: str) -> str:
        """Hand the AtomaManagerBadge and the admin role to ``address`` (a development ledger's new admin)."""
        address = normalize_address(address)
        return self._write(lambda view, head: genesis_.grant_admin(view, head, address))

    def advance_epoch(self, epochs: int = 1) -> int:
        def bump(view: View, head: dict[str, Any]) -> int:
            head["epoch"] += epochs
            return int(head["epoch"])

        return self._write(bump)

    def _write(self, change: Callable[[View, dict[str, Any]], T]) -> T:
        with _WRITER:
            return self._write_unlocked(change)

    def _write_unlocked(self, change: Callable[[View, dict[str, Any]], T]) -> T:
        for _ in range(self._max_retries):
            view = self._view()
            head = view.head()
            version = head.get("version", 0)
            result = change(view, head)
            view.put(*HEAD, head)
            try:
                self._commit(view, expected_version=version)
            except Conflict:
                continue
            return result
        raise LedgerBusy("ledger busy")

    def _commit(self, view: View, expected_version: int | None) -> None:
        commit(self._ddb, self._table, view, expected_version)

    # ------------------------------------------------------------ transactions

    def submit(self, tx_bytes: bytes, signatures: list[str]) -> TxResult:
        """Apply a signed transaction once; the same digest again returns the recorded outcome."""
        digest = transaction_digest(tx_bytes)
        tx = decode(tx_bytes)
        verify_signatures(tx_bytes, tx, signatures)
        with _WRITER:
            return self._submit(tx_bytes, digest)

    def _submit(self, tx_bytes: bytes, digest: str) -> TxResult:
        for _ in range(self._max_retries):
            view = self._view()
            done = view.get(*tx_key(digest))
            if done is not None:
                return TxResult(**done)
            head = view.head()
            version = head.get("version", 0)
            result = self._execute(view, head, tx_bytes, digest)
            view.put(*tx_key(digest), result.__dict__)
            view.put(*HEAD, head)
            try:
                self._commit(view, expected_version=version)
            except Conflict:
                continue
            return result
        raise LedgerBusy("ledger busy: too many concurrent transactions")

    def dry_run(self, tx_bytes: bytes) -> TxResult:
        """What ``submit`` would do, without a signature and without writing anything."""
        digest = transaction_digest(tx_bytes)
        view = self._view()
        return self._execute(view, view.head(), tx_bytes, digest)

    def _execute(self, view: View, head: dict[str, Any], tx_bytes: bytes, digest: str) -> TxResult:
        try:
            return execute(
                view,
                head,
                decode(tx_bytes),
                digest,
                reference_gas_price=self._gas_price,
                cross_validation_permille=self._cross_validation,
                timestamp_ms=self._clock(),
            )
        except TransactionRejected as exc:
            exc.digest = digest
            raise
