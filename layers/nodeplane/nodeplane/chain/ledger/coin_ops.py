"""Sui's coin commands on the ledger: SplitCoins, MergeCoins and TransferObjects, as a wallet keeps its coin pool.

Failures are execution errors, as on Sui (the gas is still charged): a split beyond the balance
(``InsufficientCoinBalance``; from the gas coin only what the budget leaves), coins of different types in a
merge, or a split's coin left without a transfer (``UnusedValueWithoutDrop``).
"""

from __future__ import annotations

from typing import Any

from nodeplane.chain.ledger.context import Ctx, check
from nodeplane.chain.signatures import normalize_address
from nodeplane.chain.transactions import CoinArg, ObjectRef


def _is_coin(obj: dict[str, Any]) -> bool:
    return str(obj["type"]).startswith("0x2::coin::Coin<")


def apply(ctx: Ctx) -> None:
    tx = ctx.tx
    gas_id = normalize_address(tx.gas.payment[0].object_id)
    results: dict[tuple[int, int], str] = {}  # (command, index) -> id of a coin a split created
    transferred: set[str] = set()

    def coin_id(arg: CoinArg | None) -> str:
        if arg == "gas":
            return gas_id
        if isinstance(arg, ObjectRef):
            return normalize_address(arg.object_id)
        if isinstance(arg, tuple) and (arg[1], arg[2]) in results:
            return results[(arg[1], arg[2])]
        raise AssertionError(f"unknown coin argument {arg!r}")  # the decoder admits nothing else

    for index, command in enumerate(tx.coin_commands):
        if command.kind == "split":
            source = ctx.obj(coin_id(command.coin))
            check(_is_coin(source), "EInvalidCoinType")
            spendable = source["fields"]["balance"] - (tx.gas.budget if source["object_id"] == gas_id else 0)
            check(sum(command.amounts) <= spendable, "InsufficientCoinBalance")
            source["fields"]["balance"] -= sum(command.amounts)
            ctx.save_obj(source)
            for i, amount in enumerate(command.amounts):
                results[(index, i)] = ctx.create(source["type"], ctx.sender, {"balance": amount})
        elif command.kind == "merge":
            destination = ctx.obj(coin_id(command.coin))
            for arg in command.sources:
                source_id = coin_id(arg)
                source = ctx.obj(source_id)
                check(source_id != destination["object_id"] and source_id != gas_id, "EInvalidInput")
                check(_is_coin(source) and source["type"] == destination["type"], "EInvalidCoinType")
                destination["fields"]["balance"] += source["fields"]["balance"]
                ctx.delete(source_id)
            ctx.save_obj(destination)
        else:
            recipient = normalize_address(str(command.recipient))
            for arg in command.sources:
                obj = ctx.obj(coin_id(arg))
                transferred.add(obj["object_id"])
                if obj["owner"] != recipient:
                    ctx.transfer(obj, recipient)
    check(set(results.values()) <= transferred, "UnusedValueWithoutDrop")
