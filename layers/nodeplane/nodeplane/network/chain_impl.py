"""The production ChainOps: every chain operation written once, over the chain-access port.

:func:`default_ops` picks the adapter: a Sui GraphQL RPC when ``SUI_RPC_URL`` is set (its network named by the
Atoma package, AtomaDb and USDC settings), the local ledger in process otherwise (its own DynamoDB table; its
faucet pays for local wallets, since nothing else can). Each transaction runs through ``chain_tx.Runner``, which
leases the wallet's owned objects (network/owned.py).

Looking up a digest (a purchase whose answer was lost) is final when the chain knows the transaction, or when the
gas coin version it was built with has been spent by another one: it can then never execute. If that version is
still unspent and its lease has expired (the submitter is gone), :meth:`PortOps.lookup` spends it itself with a
gas-only transaction, a fence, and the answer becomes final (a transaction that was never sent, or refused, is fenced
the same way).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from nodeplane import clock
from nodeplane.chain.access import ChainAccess, EventFilter, ExecutedTransaction, SharedObject, shared_object
from nodeplane.chain.contract import (
    MODULE,
    RANDOM_OBJECT_ID,
    SAMPLING_CONSENSUS,
    SUI_COIN_TYPE,
    coin_type,
    stack_cost,
)
from nodeplane.chain.transactions import CallSpec, build_atoma_transaction
from nodeplane.network import operators, owned
from nodeplane.network.chain_tx import Build, Funding, Inputs, Needs, Ride, RideRefused, Runner, Signer, unavailable
from nodeplane.network.chainops import BeforeSubmit, GasOptions, Guard, GuardRefused, Lookup, PureArg, TxOutcome
from nodeplane.network.owned import ADMIN, BADGE, GAS, USDC
from nodeplane.settings import settings

if TYPE_CHECKING:
    from nodeplane.chain.ledger import LocalLedger

logger = logging.getLogger("nodeplane.chain")

LOCAL_GAS = 10**12  # what the development faucet gives a wallet that has no gas coin
LOCAL_USDC = 10**15


@dataclass
class NetworkParams:
    """The Atoma deployment on one Sui network: what every transaction names."""

    name: str
    package: str
    db_id: str
    usdc_coin_type: str  # 0x2::coin::Coin<…::usdc::USDC>
    db_initial_shared_version: int | None = None  # read from the chain once when not configured
    random_initial_shared_version: int | None = None


def outcome(executed: ExecutedTransaction) -> TxOutcome:
    abort = executed.abort
    error = (abort.name or abort.message) if abort else None
    return TxOutcome(executed.digest, [dict(e) for e in executed.events], executed.ok, error)


def wallet_purpose(purpose: str, network: str) -> str:
    """Each network has its own nodeplane wallets; the local ledger's keep their original names."""
    return purpose if network == "local" else f"{purpose}@{network}"


class PortOps:
    """ChainOps over any :class:`~nodeplane.chain.access.ChainAccess`."""

    def __init__(
        self,
        chain: ChainAccess,
        params: NetworkParams,
        *,
        funding: Funding | None = None,
        ledger: LocalLedger | None = None,
    ) -> None:
        self.chain = chain
        self.params = params
        self.ledger = ledger  # the in-process ledger, for development commands (the epoch, disputes)
        types = {
            GAS: SUI_COIN_TYPE,
            USDC: params.usdc_coin_type,
            BADGE: f"{params.package}::{MODULE}::NodeBadge",
            ADMIN: f"{params.package}::{MODULE}::AtomaManagerBadge",
        }
        self.runner = Runner(chain, types, funding)
        self._wallets: dict[str, Signer] = {}

    # ------------------------------------------------------------ plumbing

    def wallet(self, purpose: str) -> Signer:
        """A wallet nodeplane signs with ("purchaser", "admin"): its key is opened once per container."""
        if purpose not in self._wallets:
            self._wallets[purpose] = operators.wallet(wallet_purpose(purpose, self.params.name))
            # where to send its funds on a real network (README: funding the purchasing wallet)
            logger.info("nodeplane's %s wallet on %s: %s", purpose, self.params.name, self._wallets[purpose].address)
        return self._wallets[purpose]

    def _shared_versions(self) -> tuple[SharedObject, int]:
        params = self.params
        with unavailable():
            if params.db_initial_shared_version is None:
                params.db_initial_shared_version = shared_object(self.chain, params.db_id).initial_shared_version
            if params.random_initial_shared_version is None:
                random = shared_object(self.chain, RANDOM_OBJECT_ID, mutable=False)
                params.random_initial_shared_version = random.initial_shared_version
        return SharedObject(params.db_id, params.db_initial_shared_version, True), params.random_initial_shared_version

    def _atoma(
        self,
        signer: Signer,
        needs: Needs,
        calls: Callable[[Inputs], list[CallSpec]],
        before_submit: BeforeSubmit | None = None,
        guard: Guard | None = None,
    ) -> TxOutcome:
        db, random_version = self._shared_versions()

        def build(inputs: Inputs) -> bytes:
            return build_atoma_transaction(
                package=self.params.package,
                atoma_db=db,
                sender=signer.address,
                calls=calls(inputs),
                gas_payment=[inputs.gas],
                gas_price=inputs.price,
                gas_budget=inputs.budget,
                random_initial_shared_version=random_version,
            )

        if guard is None:
            return outcome(self.runner.run(signer, needs, build, before_submit))
        ride = Ride(guard.begin, lambda executed: guard.finish(outcome(executed)))
        try:
            executed = self.runner.run(signer, needs, build, before_submit, ride)
        except RideRefused as exc:
            raise GuardRefused(exc.failed.failures) from exc
        guard.finished = ride.finished
        return outcome(executed)

    def run(self, signer: Signer, needs: Needs, build: Build) -> ExecutedTransaction:
        """Any other transaction of a wallet (coin splits and merges), under the same leases."""
        return self.runner.run(signer, needs, build)

    def _operator(
        self,
        operator: str,
        nodes: Sequence[int],
        function: str,
        pure: Sequence[PureArg],
        gas: GasOptions | None,
        guard: Guard | None = None,
    ) -> TxOutcome:
        gas = gas or GasOptions()
        needs = Needs(
            budget=gas.budget,
            price=gas.price,
            gas_coin=gas.coin,
            badges=tuple(nodes),
            serialise=True,
            purpose=function,
        )

        def calls(inputs: Inputs) -> list[CallSpec]:
            return [CallSpec(function, pure=pure, objects=[badge]) for badge in inputs.badges]

        return self._atoma(operators.keypair(operator), needs, calls, guard=guard)

    # ------------------------------------------------------------ ChainOps

    def buy_stack(
        self,
        *,
        task_small_id: int,
        num_compute_units: int,
        price_cap: int,
        purchase_id: str | None = None,
        before_submit: BeforeSubmit | None = None,
    ) -> TxOutcome:
        # the coin must cover the dearest security level: what is taken is read back from the effects
        needs = Needs(
            usdc=max(1, stack_cost(price_cap, num_compute_units, SAMPLING_CONSENSUS)),
            purpose=f"purchase:{purchase_id}" if purchase_id else "purchase",
        )

        def calls(inputs: Inputs) -> list[CallSpec]:
            assert inputs.usdc is not None
            pure = [task_small_id, num_compute_units, price_cap]
            return [CallSpec("acquire_new_stack_entry", pure=pure, objects=[inputs.usdc])]

        return self._atoma(self.wallet("purchaser"), needs, calls, before_submit)

    def lookup(self, digest: str) -> Lookup:
        for _ in range(2):  # a fence makes the second look final
            with unavailable():
                found = self.chain.transaction(digest)
            if found is not None:
                return Lookup(outcome(found), final=True)
            recorded = owned.lookup_inputs(digest)
            if recorded is None:
                return Lookup(None, final=True)  # nodeplane never leased anything for it: never sent
            sender, inputs = recorded
            gas_id, version = inputs[0]
            with unavailable():
                current = self.chain.get_objects([gas_id])[0]
            if current is None or current.ref.version != version:
                with unavailable():
                    found = self.chain.transaction(digest)  # the spender may be this very transaction
                return Lookup(outcome(found) if found else None, final=True)
            record = next((r for r in owned.read(sender).of(GAS) if r.object_id == gas_id), None)
            if record is None or not record.free(clock.now()):
                return Lookup(None, final=False)  # its submitter (or the coin's next user) may still send it
            self._fence(sender, gas_id)
        return Lookup(None, final=False)

    def _fence(self, sender: str, gas_id: str) -> None:
        """Spend the gas coin version a lost transaction was built with, so that it can never execute."""
        from nodeplane.chain.coins import KeepGas, build_coin_transaction

        signer = self._signer_for(sender)
        self.runner.run(
            signer,
            Needs(gas_coin=gas_id, purpose="fence"),
            lambda i: build_coin_transaction(
                sender=sender, ops=[KeepGas()], gas_payment=[i.gas], gas_price=i.price, gas_budget=i.budget
            ),
        )

    def _signer_for(self, address: str) -> Signer:
        for purpose in ("purchaser", "admin"):
            if self.wallet(purpose).address == address:
                return self.wallet(purpose)
        return operators.keypair(address)

    def claim_funds_for_stacks(
        self,
        *,
        operator: str,
        node_small_id: int,
        stack_small_ids: list[int],
        units: list[int],
        guard: Guard | None = None,
    ) -> TxOutcome:
        pure = [stack_small_ids, units]
        return self._operator(operator, [node_small_id], "claim_funds_for_stacks", pure, None, guard)

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
        pure = [stack_small_id, units, proof, leaf]
        return self._operator(operator, [node_small_id], "try_settle_stack", pure, None, guard)

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
        pure = [stack_small_id, proof, leaf]
        return self._operator(operator, [node_small_id], "submit_stack_settlement_attestation", pure, None, guard)

    def submit_attestations(
        self,
        *,
        operator: str,
        node_small_id: int,
        attestations: list[tuple[int, bytes, bytes]],
        guard: Guard | None = None,
    ) -> TxOutcome:
        function = "submit_stack_settlement_attestation"
        needs = Needs(badges=(node_small_id,), serialise=True, purpose=function)

        def calls(inputs: Inputs) -> list[CallSpec]:
            # the same badge in every call: one input of the transaction (identical inputs are merged)
            return [CallSpec(function, pure=list(a), objects=[inputs.badges[0]]) for a in attestations]

        return self._atoma(operators.keypair(operator), needs, calls, guard=guard)

    def claim_funds(
        self, *, operator: str, node_small_id: int, ticket_ids: list[int], guard: Guard | None = None
    ) -> TxOutcome:
        return self._operator(operator, [node_small_id], "claim_funds", [ticket_ids], None, guard)

    def events_since(self, cursor: str | None, limit: int) -> tuple[list[dict[str, Any]], str | None]:
        """The ``db`` module's events after ``cursor``; a cursor of another network starts from the beginning
        (applying an event twice changes nothing), so switching networks never feeds one a foreign cursor."""
        prefix = "" if self.params.name == "local" else f"{self.params.name}|"
        mine = cursor if cursor and (cursor.startswith(prefix) if prefix else "|" not in cursor) else None
        with unavailable():
            page = self.chain.events(
                EventFilter(module=f"{self.params.package}::{MODULE}"), mine[len(prefix) :] if mine else None, limit
            )
        return [dict(e) for e in page.events], f"{prefix}{page.cursor}" if page.cursor else cursor

    def register_node(self, operator: str, gas: GasOptions | None = None) -> TxOutcome:
        gas = gas or GasOptions()
        needs = Needs(budget=gas.budget, price=gas.price, gas_coin=gas.coin, serialise=True, purpose="register")
        return self._atoma(operators.keypair(operator), needs, lambda i: [CallSpec("register_node_entry")])

    def operator_calls(
        self,
        operator: str,
        node_small_ids: list[int],
        function: str,
        pure: Sequence[PureArg],
        gas: GasOptions | None = None,
    ) -> TxOutcome:
        """One transaction with the same call for several of the operator's nodes (one digest)."""
        return self._operator(operator, node_small_ids, function, pure, gas)

    def admin_call(self, function: str, pure: Sequence[PureArg]) -> TxOutcome:
        needs = Needs(admin_badge=True, serialise=True, purpose=function)

        def calls(inputs: Inputs) -> list[CallSpec]:
            assert inputs.admin_badge is not None
            return [CallSpec(function, pure=pure, objects=[inputs.admin_badge])]

        return self._atoma(self.wallet("admin"), needs, calls)


# ---------------------------------------------------------------- the two adapters


def _rpc_ops() -> PortOps:
    from nodeplane.chain.graphql import GraphQLChainAccess

    config = settings()
    required = {
        "ATOMA_PACKAGE_ID": config.atoma_package_id,
        "ATOMA_DB_OBJECT_ID": config.atoma_db_object_id,
        "USDC_COIN_TYPE": config.usdc_coin_type,
    }
    missing = [name for name, value in required.items() if not value]
    if missing:
        raise RuntimeError(f"SUI_RPC_URL is set but {', '.join(missing)} is not: see the README's real-network part")
    chain = GraphQLChainAccess(
        config.sui_rpc_url, connect_timeout=config.sui_rpc_connect_timeout, read_timeout=config.sui_rpc_read_timeout
    )
    usdc = config.usdc_coin_type
    params = NetworkParams(
        name=config.sui_network or "sui",
        package=config.atoma_package_id,
        db_id=config.atoma_db_object_id,
        usdc_coin_type=usdc if usdc.startswith("0x2::coin::Coin<") else coin_type(usdc),
        db_initial_shared_version=config.atoma_db_initial_shared_version or None,
    )
    funding = None
    if config.sui_faucet_url:
        from nodeplane.chain.faucet import HttpFaucet

        faucet = HttpFaucet(config.sui_faucet_url)

        def funding(address: str, kind: str) -> None:
            with unavailable():
                faucet.request(address, sui=LOCAL_GAS if kind == GAS else 0, usdc=LOCAL_USDC if kind == USDC else 0)

    return PortOps(chain, params, funding=funding)


def _ledger_ops() -> PortOps:
    from nodeplane import store
    from nodeplane.chain.ledger import LocalLedger
    from nodeplane.chain.ledger_access import LedgerChainAccess

    admin = operators.wallet("admin")
    ledger = LocalLedger(
        store.dynamodb(),
        settings().ledger_table_name,
        admin_address=admin.address,
        cross_validation_probability_permille=settings().ledger_cross_validation_permille,
    )
    info = ledger.genesis()
    params = NetworkParams(
        name="local",
        package=info["package"],
        db_id=info["db_id"],
        usdc_coin_type=coin_type(info["usdc_type"]),
        db_initial_shared_version=info["db_initial_shared_version"],
        random_initial_shared_version=info["random_initial_shared_version"],
    )

    def funding(address: str, kind: str) -> None:
        ledger.faucet(address, **({"sui": LOCAL_GAS} if kind == GAS else {"usdc": LOCAL_USDC}))

    return PortOps(LedgerChainAccess(ledger), params, funding=funding, ledger=ledger)


@lru_cache(maxsize=1)
def default_ops() -> PortOps:
    """The chain operations of this container: over the Sui RPC when one is configured, the local ledger otherwise."""
    return _rpc_ops() if settings().sui_rpc_url else _ledger_ops()
