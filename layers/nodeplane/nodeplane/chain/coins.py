"""Coin transactions a wallet needs to keep its pool of coins: split, merge, and a no-op that spends the gas coin.

They are programmable transactions of Sui's own commands (SplitCoins, MergeCoins, TransferObjects), built offline
like the ``atoma::db`` calls in ``transactions``; the local ledger executes them as Sui does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from nodeplane.chain.signatures import normalize_address, uleb128
from nodeplane.chain.transactions import (
    DEFAULT_GAS_BUDGET,
    ObjectRef,
    encode_object_ref,
    encode_pure,
    wrap_programmable,
)

GAS = "gas"  # the transaction's gas coin as a split's source or a merge's destination


@dataclass(frozen=True)
class SplitOff:
    """New coins of ``amounts`` split off ``source`` (the gas coin or an owned coin), kept by the sender."""

    source: str | ObjectRef
    amounts: Sequence[int]


@dataclass(frozen=True)
class MergeInto:
    """``sources`` merged into ``destination`` (the gas coin or an owned coin of the same type)."""

    destination: str | ObjectRef
    sources: Sequence[ObjectRef]


@dataclass(frozen=True)
class KeepGas:
    """Transfer the gas coin to the sender: nothing changes but the gas coin's version (it fences a digest)."""


CoinOp = SplitOff | MergeInto | KeepGas


@dataclass
class _Inputs:
    encoded: list[bytes] = field(default_factory=list)

    def index(self, call_arg: bytes) -> bytes:
        if call_arg not in self.encoded:
            self.encoded.append(call_arg)
        return b"\x01" + self.encoded.index(call_arg).to_bytes(2, "little")  # Argument::Input(u16)

    def coin(self, coin: str | ObjectRef) -> bytes:
        if coin == GAS:
            return b"\x00"  # Argument::GasCoin
        assert isinstance(coin, ObjectRef)
        return self.index(b"\x01\x00" + encode_object_ref(coin))

    def pure(self, type_name: str, value: object) -> bytes:
        raw = encode_pure(type_name, value)
        return self.index(b"\x00" + uleb128(len(raw)) + raw)


def build_coin_transaction(
    *,
    sender: str,
    ops: Sequence[CoinOp],
    gas_payment: Sequence[ObjectRef],
    gas_price: int,
    gas_budget: int = DEFAULT_GAS_BUDGET,
) -> bytes:
    """BCS ``TransactionData`` of the coin operations, in order; every split-off coin goes to the sender."""
    inputs = _Inputs()
    commands: list[bytes] = []
    sender = normalize_address(sender)
    for op in ops:
        if isinstance(op, SplitOff):
            split = len(commands)
            amounts = b"".join(inputs.pure("u64", a) for a in op.amounts)
            commands.append(b"\x02" + inputs.coin(op.source) + uleb128(len(op.amounts)) + amounts)
            results = b"".join(
                b"\x03" + split.to_bytes(2, "little") + i.to_bytes(2, "little") for i in range(len(op.amounts))
            )
            commands.append(b"\x01" + uleb128(len(op.amounts)) + results + inputs.pure("address", sender))
        elif isinstance(op, MergeInto):
            sources = b"".join(inputs.coin(s) for s in op.sources)
            commands.append(b"\x03" + inputs.coin(op.destination) + uleb128(len(op.sources)) + sources)
        else:
            commands.append(b"\x01" + uleb128(1) + b"\x00" + inputs.pure("address", sender))
    return wrap_programmable(inputs.encoded, commands, sender, list(gas_payment), gas_price, gas_budget)
