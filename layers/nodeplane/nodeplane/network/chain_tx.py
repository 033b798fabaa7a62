"""Running one transaction of a wallet: pick and lease its owned objects, build, sign, submit, record the effects.

Every chain operation goes through :meth:`Runner.run`, so every transaction nodeplane signs draws its gas coin
(and payment coin, and badges) from the wallet's leased records (network/owned.py) and no two transactions in
flight ever share an owned object version. Failures are domain errors: an unreachable network is
:class:`~nodeplane.errors.ChainUnavailable` (503, nothing charged), gas the caller chose that cannot work is a 400.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Final, Protocol

from nodeplane import clock, store
from nodeplane.chain.access import (
    ChainAccess,
    ChainResponseError,
    ChainUnreachable,
    ExecutedTransaction,
    ObjectRef,
    TransactionRejected,
    type_matches,
)
from nodeplane.chain.signatures import transaction_digest
from nodeplane.chain.transactions import DEFAULT_GAS_BUDGET
from nodeplane.errors import BadRequest, ChainUnavailable, DomainError, Forbidden, Unavailable
from nodeplane.network import owned
from nodeplane.network.owned import ADMIN, BADGE, GAS, USDC, Record, Wallet
from nodeplane.store.dynamo import TransactionFailed

logger = logging.getLogger("nodeplane.chain")

WAITS: Final = 45  # rounds of waiting for a free coin (about 8 s: inside a Lambda's 15 s)
GAS_PRICE_TTL_SECONDS: Final = 60
FIND_WAITS: Final = (0.25, 0.5, 1.0, 0.0)  # looking up a transaction sent without an answer (under 2 s in all)

# Replaced by tests so waiting for a coin costs no wall-clock time.
sleep: Callable[[float], None] = time.sleep


class Signer(Protocol):
    @property
    def address(self) -> str: ...

    def sign_transaction(self, tx_bytes: bytes) -> str: ...


class ChainFailure(DomainError):
    """The network refused a transaction nodeplane built (a defect, not the caller's mistake)."""

    status, title, code = 502, "Bad Gateway", "INTERNAL_ERROR"


@dataclass(frozen=True)
class Needs:
    """What a transaction spends besides its gas, and how its gas is chosen."""

    budget: int | None = None  # MIST; None: DEFAULT_GAS_BUDGET
    price: int | None = None  # MIST per unit; None: the reference gas price
    gas_coin: str | None = None  # one particular SUI coin of the signer
    usdc: int = 0  # a payment coin holding at least this much
    badges: tuple[int, ...] = ()  # node badges, by node small id
    admin_badge: bool = False
    coins: tuple[str, ...] = ()  # more of the wallet's objects, by id (the coins a merge consumes)
    serialise: bool = False  # one transaction of this wallet at a time (operators)
    purpose: str = "tx"

    @property
    def caller_gas(self) -> bool:
        """The caller chose some of the gas: its mistakes are 400s, not something to work around."""
        return self.budget is not None or self.price is not None or self.gas_coin is not None


@dataclass(frozen=True)
class Inputs:
    """The owned objects a transaction is built with (leased for it) and its gas."""

    gas: ObjectRef
    price: int
    budget: int
    usdc: ObjectRef | None = None
    badges: tuple[ObjectRef, ...] = ()  # in the order of Needs.badges
    admin_badge: ObjectRef | None = None
    coins: tuple[ObjectRef, ...] = ()  # in the order of Needs.coins


@dataclass
class Ride:
    """The caller's writes that ride with the transaction's lease (``begin``) and release (``finish``): see
    chainops.Guard. ``finished`` is set when ``finish`` was written with the release."""

    begin: list[store.Op]
    finish: Callable[[ExecutedTransaction], list[store.Op]]
    finished: bool = False


class RideRefused(Exception):
    """A condition of the ride's ``begin`` failed: nothing was sent."""

    def __init__(self, failed: TransactionFailed) -> None:
        super().__init__(str(failed))
        self.failed = failed


Build = Callable[[Inputs], bytes]
Funding = Callable[[str, str], None]  # (address, kind): a development faucet tops the wallet up


@contextmanager
def unavailable(digest: str | None = None) -> Iterator[None]:
    """The port's "cannot reach the network" as the domain's 503."""
    try:
        yield
    except ChainUnreachable as exc:
        raise ChainUnavailable(
            f"the Sui network did not answer ({exc}); nothing was charged, retry later", exc.digest or digest
        ) from exc


class Runner:
    def __init__(self, chain: ChainAccess, types: dict[str, str], funding: Funding | None = None) -> None:
        self.chain = chain
        self.types = types  # record kind -> the Move type of its objects
        self.funding = funding
        self._price: tuple[float, int] | None = None

    def gas_price(self) -> int:
        now = time.monotonic()
        if self._price is None or now - self._price[0] > GAS_PRICE_TTL_SECONDS:
            with unavailable():
                self._price = (now, self.chain.epoch().reference_gas_price)
        return self._price[1]

    # ------------------------------------------------------------ choosing records

    def _wanted(self, needs: Needs, budget: int) -> list[tuple[str, Callable[[Record], bool]]]:
        wanted: list[tuple[str, Callable[[Record], bool]]] = [
            (GAS, lambda r: r.object_id == needs.gas_coin if needs.gas_coin else (r.balance or 0) >= budget)
        ]
        if needs.usdc:
            wanted.append((USDC, lambda r: (r.balance or 0) >= needs.usdc))
        for node in needs.badges:
            wanted.append((BADGE, lambda r, node=node: r.node_small_id == node))  # type: ignore[misc]
        if needs.admin_badge:
            wanted.append((ADMIN, lambda r: True))
        for coin in needs.coins:
            wanted.append(("", lambda r, coin=coin: r.object_id == coin))  # type: ignore[misc]
        return wanted

    def _choose(self, wallet: Wallet, needs: Needs, budget: int) -> list[Record] | str:
        """One free record per want, or what is missing: "wait" (all leased) or "kind" (none at all)."""
        now = clock.now()
        chosen: list[Record] = []
        for kind, fits in self._wanted(needs, budget):
            candidates = [r for r in (wallet.of(kind) if kind else wallet.records) if fits(r) and r not in chosen]
            if not candidates:
                if not kind:
                    raise BadRequest(
                        f"{wallet.records[0].address if wallet.records else 'the wallet'} has no such coin"
                    )
                return kind
            free = [r for r in candidates if r.free(now)]
            if not free:
                return "wait"
            chosen.append(random.choice(free))  # concurrent requests spread over the pool
        if needs.serialise and wallet.wallet_lease_until >= now:
            return "wait"
        return chosen

    def _refill(self, address: str, kind: str, wallet: Wallet, needs: Needs) -> None:
        """Records for objects the wallet holds on chain and nodeplane does not know yet; a faucet in development."""
        with unavailable():
            on_chain = self.chain.owned_objects(address, self.types[kind])
        if owned.seed(address, kind, on_chain, wallet.of(kind)):
            return
        if self.funding is not None and kind in (GAS, USDC) and not needs.gas_coin:
            self.funding(address, kind)
            with unavailable():
                if owned.seed(address, kind, self.chain.owned_objects(address, self.types[kind]), wallet.of(kind)):
                    return
        if kind == BADGE:
            raise Forbidden(f"{address} does not hold the badge of node(s) {list(needs.badges)}")
        if kind == ADMIN:
            raise Forbidden(f"{address} does not hold the AtomaManagerBadge")
        if needs.gas_coin:
            raise BadRequest(f"gas coin {needs.gas_coin} is not a SUI coin of {address}")
        what = "a SUI coin for gas" if kind == GAS else f"a USDC coin holding {needs.usdc}"
        raise Unavailable(f"wallet {address} has no {what}: fund it, or split its coins (docs: README)")

    # ------------------------------------------------------------ one transaction

    def run(
        self,
        signer: Signer,
        needs: Needs,
        build: Build,
        before_submit: Callable[[str], None] | None = None,
        ride: Ride | None = None,
    ) -> ExecutedTransaction:
        """Lease, build, sign, submit, record; ``before_submit`` sees each digest before it is sent; ``ride``'s
        writes go with the lease and the release.

        A rejected attempt never executed and never will (its inputs were stale): it is rebuilt from the chain's
        refs, so ``before_submit`` may see a second digest, which replaces the first.
        """
        address = signer.address
        budget = needs.budget or DEFAULT_GAS_BUDGET
        holder = uuid.uuid4().hex
        refused = 0
        begin = list(ride.begin) if ride else []
        labels = {op.label for op in begin}
        # this container's last release of the wallet saves reading it; anything it cannot serve is read afresh
        # (gas the caller chose is dry-run before any lease, so it is always read)
        remembered = None if needs.caller_gas else owned.remembered(address)
        for round_ in range(WAITS):
            from_memory = round_ == 0 and remembered is not None
            wallet = remembered if from_memory and remembered is not None else owned.read(address)
            chosen = self._choose(wallet, needs, budget)
            if chosen == "wait":
                if not from_memory:
                    sleep(min(0.2, 0.01 * 2 ** min(round_, 5)) * (0.5 + random.random()))
                continue
            if isinstance(chosen, str):
                if not from_memory:
                    self._refill(address, chosen, wallet, needs)
                continue
            stale = [r for r in chosen if r.pending]
            if stale:  # leased by a transaction that never came back: ask the chain before using them
                with unavailable():
                    for record in stale:
                        owned.revalidate(self.chain, record)
                continue
            inputs = _inputs(chosen, needs, needs.price or self.gas_price(), budget)
            tx = build(inputs)
            digest = transaction_digest(tx)
            if needs.caller_gas:
                self._check_caller_gas(tx, budget)
            signature = signer.sign_transaction(tx)
            try:
                leased = owned.lease(
                    address,
                    chosen,
                    digest,
                    holder=holder,
                    serialise=needs.serialise,
                    purpose=needs.purpose,
                    extra=begin,
                )
            except TransactionFailed as exc:
                if any(f.label in labels and f.code == "ConditionalCheckFailed" for f in exc.failures):
                    owned.remember(address, None)
                    raise RideRefused(exc) from exc
                continue  # another transaction took one of them: read the wallet again
            begin, labels = [], set()  # written: a rebuilt attempt only takes the leases
            executed = self._submit(
                address, wallet, leased, holder, needs, (tx, signature, digest), before_submit, ride
            )
            if executed is not None:
                return executed
            refused += 1
            if refused > 2:
                raise ChainFailure(f"the network kept refusing {needs.purpose} transactions of {address}")
        raise Unavailable(f"every coin of wallet {address} is in use by other transactions; retry in a moment")

    def _submit(
        self,
        address: str,
        wallet: Wallet,
        leased: list[Record],
        holder: str,
        needs: Needs,
        signed: tuple[bytes, str, str],
        before_submit: Callable[[str], None] | None,
        ride: Ride | None,
    ) -> ExecutedTransaction | None:
        """Submit once; None when the network refused stale inputs (re-read from the chain: build again)."""
        tx, signature, digest = signed
        owned.remember(address, None)  # until the release says what the wallet holds now
        try:
            if before_submit is not None:
                before_submit(digest)
            executed = self.chain.execute(tx, [signature])
        except TransactionRejected as exc:
            owned.release(address, leased, holder, None, serialise=needs.serialise)
            if exc.kind in ("object", "gas") and not needs.caller_gas:
                logger.warning("%s of %s refused (%s): re-reading its objects", needs.purpose, address, exc)
                self._price = None  # a new epoch may have a new reference gas price
                with unavailable():
                    for record in leased:
                        owned.revalidate(self.chain, replace(record, lease_until=0.0, holder=None, pending=None))
                return None
            if exc.kind == "gas":
                raise BadRequest(f"the network refused the transaction's gas: {exc}") from exc
            raise ChainFailure(f"the network refused the transaction: {exc}") from exc
        except (ChainUnreachable, ChainResponseError) as exc:
            # it may have executed: its digest answers that; it is never sent again
            found = self._find(digest)
            if found is None:
                raise ChainUnavailable(
                    f"the Sui network did not answer transaction {digest} ({exc}); it is looked up by its digest, "
                    "never sent twice; nothing was charged",
                    digest,
                ) from exc
            executed = found
        except BaseException:
            owned.release(address, leased, holder, None, serialise=needs.serialise)  # nothing was sent
            raise
        extra = ride.finish(executed) if ride else []
        released, finished = owned.release(
            address, leased, holder, executed, serialise=needs.serialise, created=self._created(executed), extra=extra
        )
        if ride:
            ride.finished = finished
        if released is not None:
            ids = {r.object_id for r in leased}
            owned.remember(address, Wallet([r for r in wallet.records if r.object_id not in ids] + released))
        return executed

    def _find(self, digest: str) -> ExecutedTransaction | None:
        """A transaction sent without an answer, if it executed; a slow network gets a few seconds more."""
        for wait in FIND_WAITS:
            try:
                found = self.chain.transaction(digest)
            except (ChainUnreachable, ChainResponseError):
                found = None
            if found is not None:
                return found
            sleep(wait)
        return None

    def _check_caller_gas(self, tx: bytes, budget: int) -> None:
        """A budget the dry run exceeds, or gas the network refuses, is the caller's 400."""
        try:
            with unavailable():
                simulation = self.chain.simulate(tx)
        except TransactionRejected as exc:
            raise BadRequest(f"the network refuses this transaction's gas: {exc}") from exc
        if simulation.gas.total > budget:
            raise BadRequest(f"gas_budget {budget} is below the {simulation.gas.total} MIST the dry run needs")

    def _created(self, executed: ExecutedTransaction) -> list[Record]:
        """Records for the coins and badges the transaction created for its sender."""
        out = []
        for change in executed.created():
            if change.ref is None or change.owner is None or change.owner_kind != "address":
                continue
            kind = next((k for k, t in self.types.items() if change.type and type_matches(t, change.type)), None)
            if kind is None:
                continue
            node = change.fields.get("node_small_id")
            out.append(
                Record(
                    address=change.owner,
                    kind=kind,
                    object_id=change.object_id,
                    version=change.ref.version,
                    digest=change.ref.digest,
                    balance=change.balance,
                    node_small_id=int(node) if isinstance(node, str | int) and not isinstance(node, bool) else None,
                )
            )
        return out


def _inputs(chosen: list[Record], needs: Needs, price: int, budget: int) -> Inputs:
    named = chosen[: len(chosen) - len(needs.coins)]  # the extra coins come last, in the order asked
    by_kind = {kind: [r for r in named if r.kind == kind] for kind in (GAS, USDC, BADGE, ADMIN)}
    badges = {r.node_small_id: r.ref for r in by_kind[BADGE]}
    return Inputs(
        gas=by_kind[GAS][0].ref,
        price=price,
        budget=budget,
        usdc=by_kind[USDC][0].ref if by_kind[USDC] else None,
        badges=tuple(badges[n] for n in needs.badges),
        admin_badge=by_kind[ADMIN][0].ref if by_kind[ADMIN] else None,
        coins=tuple(r.ref for r in chosen[len(chosen) - len(needs.coins) :]) if needs.coins else (),
    )
