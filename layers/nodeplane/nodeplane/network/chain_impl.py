"""The production ChainOps: real Sui transactions, built offline, signed, and submitted to a chain client.

With no Sui RPC configured the client is the local ledger (``nodeplane.chain.ledger``), kept in its own
DynamoDB table; its gas and USDC come from the ledger's faucet, since nothing else can pay locally.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

from nodeplane.network import operators
from nodeplane.network.chainops import BeforeSubmit, GasOptions, Lookup, PureArg, TxOutcome
from nodeplane.settings import settings

if TYPE_CHECKING:
    from nodeplane.chain.transactions import CallSpec, ObjectRef

logger = logging.getLogger("nodeplane.chain")

LOCAL_GAS = 10**12
LOCAL_USDC = 10**15


class Signer(Protocol):
    """What signs a transaction: an operator's or nodeplane's key (nodeplane.chain.keys.Keypair)."""

    @property
    def address(self) -> str: ...

    def sign_transaction(self, tx_bytes: bytes) -> str: ...


# A call, or what builds it at each attempt (so a retry picks up fresh object versions)
Call: TypeAlias = "CallSpec | Callable[[], CallSpec]"


DEFAULT_GAS_BUDGET = 50_000_000  # MIST (nodeplane.chain.transactions.DEFAULT_GAS_BUDGET)


def purchase_budget(purchase_id: str | None) -> int:
    """The gas budget of a stack purchase: its low digits come from the purchase id, so two purchases built from
    the same coin versions are still two transactions (the ledger answers a repeated digest with its first result)."""
    if purchase_id is None:
        return DEFAULT_GAS_BUDGET
    return DEFAULT_GAS_BUDGET + int(hashlib.blake2b(purchase_id.encode(), digest_size=8).hexdigest(), 16) % 1_000_000


class LedgerOps:
    """ChainOps over the local ledger."""

    def __init__(self) -> None:
        from nodeplane import store
        from nodeplane.chain.ledger import LocalLedger

        self.admin = operators.wallet("admin")
        self.ledger = LocalLedger(
            store.dynamodb(),
            settings().ledger_table_name,
            admin_address=self.admin.address,
            cross_validation_probability_permille=settings().ledger_cross_validation_permille,
        )
        self.info = self.ledger.genesis()

    # -- plumbing ---------------------------------------------------------------------------------------

    def _owned(self, address: str, suffix: str) -> list[dict[str, Any]]:
        return self.ledger.owned_objects(address, suffix)

    def _coin(self, address: str, suffix: str, need: int, mint: dict[str, int]) -> ObjectRef:
        coins = [c for c in self._owned(address, suffix) if c["fields"].get("balance", 0) >= need]
        if not coins:
            self.ledger.faucet(address, **mint)
            coins = [c for c in self._owned(address, suffix) if c["fields"].get("balance", 0) >= need]
        return self.ledger.object_ref(coins[0]["object_id"])

    def submit(
        self,
        signer: Signer,
        calls: Sequence[Call],
        *,
        attempts: int = 8,
        before_submit: BeforeSubmit | None = None,
        gas_budget: int = DEFAULT_GAS_BUDGET,
    ) -> TxOutcome:
        """Build, sign and submit; a stale object version (another request used the coin) is retried."""
        from nodeplane.chain.ledger import TransactionRejected
        from nodeplane.chain.transactions import CallSpec, build_atoma_transaction

        last: Exception | None = None
        for _ in range(attempts):
            specs = [c() if callable(c) else c for c in calls]
            assert all(isinstance(s, CallSpec) for s in specs)
            gas = self._coin(signer.address, "::sui::SUI>", gas_budget, {"sui": LOCAL_GAS})
            tx = build_atoma_transaction(
                package=self.info["package"],
                atoma_db=self.ledger.shared_db(),
                sender=signer.address,
                calls=specs,
                gas_payment=[gas],
                gas_price=self.ledger.reference_gas_price(),
                gas_budget=gas_budget,
                random_initial_shared_version=self.info["random_initial_shared_version"],
            )
            signature = signer.sign_transaction(tx)
            if before_submit is not None:
                from nodeplane.chain.signatures import transaction_digest

                before_submit(transaction_digest(tx))
            try:
                result = self.ledger.submit(tx, [signature])
            except TransactionRejected as exc:
                last = exc
                continue
            return TxOutcome(result.digest, list(result.events), result.status == "success", result.error)
        raise RuntimeError(f"transaction kept being rejected: {last}")

    def badge(self, address: str, node_small_id: int) -> ObjectRef:
        for obj in self._owned(address, "::db::NodeBadge"):
            if int(obj["fields"].get("node_small_id", -1)) == node_small_id:
                return self.ledger.object_ref(obj["object_id"])
        from nodeplane.errors import Forbidden

        raise Forbidden(f"{address} does not hold the badge of node {node_small_id}")

    def _operator_call(self, operator: str, node_small_id: int, function: str, pure: Sequence[PureArg]) -> TxOutcome:
        from nodeplane.chain.transactions import CallSpec

        signer = operators.keypair(operator)
        return self.submit(
            signer, [lambda: CallSpec(function, pure=pure, objects=[self.badge(operator, node_small_id)])]
        )

    # -- ChainOps ---------------------------------------------------------------------------------------

    def buy_stack(
        self,
        *,
        task_small_id: int,
        num_compute_units: int,
        price_cap: int,
        purchase_id: str | None = None,
        before_submit: BeforeSubmit | None = None,
    ) -> TxOutcome:
        from nodeplane.chain.transactions import CallSpec

        buyer = operators.wallet("purchaser")
        cost = price_cap * num_compute_units // 1_000_000 * 1212 // 1000 + 1

        def call() -> CallSpec:
            coin = self._coin(buyer.address, "::usdc::USDC>", cost, {"usdc": LOCAL_USDC})
            return CallSpec(
                "acquire_new_stack_entry", pure=[task_small_id, num_compute_units, price_cap], objects=[coin]
            )

        return self.submit(buyer, [call], before_submit=before_submit, gas_budget=purchase_budget(purchase_id))

    def lookup(self, digest: str) -> Lookup:
        # the in-process ledger applies a transaction within the submitting call: unknown now means never
        result = self.ledger.transaction(digest)
        if result is None:
            return Lookup(None, final=True)
        return Lookup(TxOutcome(result.digest, list(result.events), result.status == "success", result.error), True)

    def claim_funds_for_stacks(
        self, *, operator: str, node_small_id: int, stack_small_ids: list[int], units: list[int]
    ) -> TxOutcome:
        return self._operator_call(operator, node_small_id, "claim_funds_for_stacks", [stack_small_ids, units])

    def try_settle_stack(
        self, *, operator: str, node_small_id: int, stack_small_id: int, units: int, proof: bytes, leaf: bytes
    ) -> TxOutcome:
        return self._operator_call(operator, node_small_id, "try_settle_stack", [stack_small_id, units, proof, leaf])

    def submit_attestation(
        self, *, operator: str, node_small_id: int, stack_small_id: int, proof: bytes, leaf: bytes
    ) -> TxOutcome:
        return self._operator_call(
            operator, node_small_id, "submit_stack_settlement_attestation", [stack_small_id, proof, leaf]
        )

    def claim_funds(self, *, operator: str, node_small_id: int, ticket_ids: list[int]) -> TxOutcome:
        return self._operator_call(operator, node_small_id, "claim_funds", [ticket_ids])

    def events_since(self, cursor: str | None, limit: int) -> tuple[list[dict[str, Any]], str | None]:
        return self.ledger.events_since(cursor, limit)

    # -- operator and admin transactions ----------------------------------------------------------------

    def register_node(self, operator: str, gas: GasOptions | None = None) -> TxOutcome:
        from nodeplane.chain.transactions import CallSpec

        return self.submit(operators.keypair(operator), [CallSpec("register_node_entry")])

    def operator_calls(
        self,
        operator: str,
        node_small_ids: list[int],
        function: str,
        pure: Sequence[PureArg],
        gas: GasOptions | None = None,
    ) -> TxOutcome:
        """One transaction with the same call for several of the operator's nodes (one digest)."""
        from nodeplane.chain.transactions import CallSpec

        def call(node: int) -> Callable[[], CallSpec]:
            return lambda: CallSpec(function, pure=pure, objects=[self.badge(operator, node)])

        return self.submit(operators.keypair(operator), [call(n) for n in node_small_ids])

    def admin_call(self, function: str, pure: Sequence[PureArg]) -> TxOutcome:
        from nodeplane.chain.transactions import CallSpec

        def call() -> CallSpec:
            return CallSpec(function, pure=pure, objects=[self.ledger.object_ref(self.info["admin_badge"])])

        return self.submit(self.admin, [call])


@lru_cache(maxsize=1)
def default_ops() -> LedgerOps:
    if settings().sui_rpc_url:
        # Submitting to a real network needs gas coins and object refs read from it; nodeplane ships the
        # offline builder and pysui's client (nodeplane.chain.client.SuiClient), not yet an RPC object reader.
        raise NotImplementedError("SUI_RPC_URL is set, but only the local ledger is wired for chain operations")
    return LedgerOps()
