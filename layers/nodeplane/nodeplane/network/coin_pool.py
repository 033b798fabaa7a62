"""Keeping the coin pools of nodeplane's own wallets: enough coins for concurrent transactions, none too small.

The purchasing wallet serves concurrent locks, each with its own gas coin and payment coin (network/owned.py);
:func:`maintain` keeps its pool (and the admin wallet's) fit, run by ``schedule_coin_pool`` and by
``nodeplane-local admin coin-pool``:

1. it records the coins the wallet holds on chain that nodeplane does not know yet (new funds, refunds of
   stacks), and re-reads free records the chain no longer shows as they are;
2. merges gas coins too small to pay a transaction's budget into the biggest one;
3. splits the biggest gas coin until the wallet has ``coin_pool_size`` gas coins of ``coin_pool_gas_mist``;
4. for the purchasing wallet, splits the biggest USDC coin so that it has ``coin_pool_size`` payment coins.

Each step is an ordinary transaction of the wallet: the coins it spends are leased like any other's.
"""

from __future__ import annotations

from typing import Final

from nodeplane import clock
from nodeplane.chain.coins import GAS as GAS_COIN
from nodeplane.chain.coins import MergeInto, SplitOff, build_coin_transaction
from nodeplane.chain.transactions import DEFAULT_GAS_BUDGET
from nodeplane.network import owned
from nodeplane.network.chain_impl import PortOps
from nodeplane.network.chain_tx import Inputs, Needs, unavailable
from nodeplane.network.owned import GAS, USDC, Record
from nodeplane.settings import settings

WALLETS: Final = ("purchaser", "admin")
MAX_COINS_PER_TX: Final = 50  # far below Sui's limits on a transaction's inputs and created objects


def _free(records: list[Record]) -> list[Record]:
    now = clock.now()
    return [r for r in records if r.free(now) and not r.pending]


def maintain(ops: PortOps, purpose: str, *, size: int | None = None, gas_mist: int | None = None) -> dict[str, int]:
    """Bring one wallet's pool to ``size`` coins; returns what it did (counts)."""
    size = size or settings().coin_pool_size
    gas_mist = gas_mist or settings().coin_pool_gas_mist
    signer = ops.wallet(purpose)
    address = signer.address
    report = {"recorded": 0, "revalidated": 0, "merged": 0, "split_gas": 0, "split_usdc": 0}

    wallet = owned.read(address)
    for kind in (GAS, USDC) if purpose == "purchaser" else (GAS,):
        with unavailable():
            on_chain = {o.object_id: o for o in ops.chain.owned_objects(address, ops.runner.types[kind])}
        if not on_chain and ops.runner.funding is not None:
            ops.runner.funding(address, kind)  # a development network's faucet
            with unavailable():
                on_chain = {o.object_id: o for o in ops.chain.owned_objects(address, ops.runner.types[kind])}
        report["recorded"] += owned.seed(address, kind, on_chain.values(), wallet.of(kind))
        for record in _free(wallet.of(kind)):
            seen = on_chain.get(record.object_id)
            if seen is None or seen.ref != record.ref or seen.balance != record.balance:
                with unavailable():
                    owned.revalidate(ops.chain, record)
                report["revalidated"] += 1

    def send(gas: Record, build_ops: list[object], coins: tuple[str, ...] = ()) -> None:
        def build(inputs: Inputs) -> bytes:
            actual = [_with(op, inputs) for op in build_ops]
            return build_coin_transaction(
                sender=address, ops=actual, gas_payment=[inputs.gas], gas_price=inputs.price, gas_budget=inputs.budget
            )

        ops.run(signer, Needs(gas_coin=gas.object_id, coins=coins, purpose="coin-pool"), build).raise_for_abort()

    gas = sorted(_free(owned.read(address).of(GAS)), key=lambda r: -(r.balance or 0))
    small = [r for r in gas[1:] if (r.balance or 0) < DEFAULT_GAS_BUDGET][:MAX_COINS_PER_TX]
    if gas and small:
        send(gas[0], [MergeInto(GAS_COIN, [])], tuple(r.object_id for r in small))
        report["merged"] = len(small)

    gas = sorted(_free(owned.read(address).of(GAS)), key=lambda r: -(r.balance or 0))
    have = len([r for r in owned.read(address).of(GAS) if (r.balance or 0) >= DEFAULT_GAS_BUDGET])
    if gas and have < size:
        spare = ((gas[0].balance or 0) - gas_mist) // gas_mist  # the big coin keeps one share itself
        count = max(0, min(size - have, spare, MAX_COINS_PER_TX))
        if count:
            send(gas[0], [SplitOff(GAS_COIN, [gas_mist] * count)])
            report["split_gas"] = count

    if purpose == "purchaser":
        usdc = owned.read(address).of(USDC)
        biggest = sorted(_free(usdc), key=lambda r: -(r.balance or 0))
        gas = sorted(_free(owned.read(address).of(GAS)), key=lambda r: -(r.balance or 0))
        count = min(size - len(usdc), MAX_COINS_PER_TX)
        if biggest and gas and count > 0 and (biggest[0].balance or 0) > count:
            share = (biggest[0].balance or 0) // (count + 1)
            send(gas[0], [SplitOff(biggest[0].object_id, [share] * count)], (biggest[0].object_id,))
            report["split_usdc"] = count
    return report


def _with(op: object, inputs: Inputs) -> MergeInto | SplitOff:
    """An operation with the leased refs of the coins it names (ids stand in for refs until they are leased)."""
    refs = {ref.object_id: ref for ref in inputs.coins}
    if isinstance(op, MergeInto):
        return MergeInto(op.destination, list(inputs.coins))
    assert isinstance(op, SplitOff)
    source = refs[op.source] if isinstance(op.source, str) and op.source in refs else op.source
    return SplitOff(source, op.amounts)


def maintain_all(ops: PortOps) -> dict[str, dict[str, int]]:
    """Every wallet nodeplane keeps a pool for (the schedule)."""
    return {purpose: maintain(ops, purpose) for purpose in WALLETS}
