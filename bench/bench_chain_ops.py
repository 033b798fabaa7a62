"""nodeplane's chain operations through the Sui GraphQL stand-in ÷ through the in-process ledger, same run.

The same ``PortOps`` code (leases in DynamoDB, build, sign, submit, record the effects) runs over both adapters of
the chain-access port, which serve one ledger; a stack purchase and an operator's subscription update are timed
alternately on one and the other, so drift hits both. The ratio is what the RPC path costs a whole chain
operation locally (bench_chain_access.py shows the same for the port's single calls).

Run: python bench/bench_chain_ops.py [--rounds N]
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Callable

from common import median, moto_backend, sui_rpc_stand_in

PRICE = 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    with moto_backend():
        from nodeplane.chain.keys import Keypair
        from nodeplane.network import chain_events, chain_impl, coin_pool, operators

        ledger_ops = chain_impl.default_ops()  # no SUI_RPC_URL yet: the ledger in process
        with sui_rpc_stand_in():
            rpc_ops = chain_impl.default_ops()  # the stand-in made its admin wallet the ledger's admin
            task = rpc_ops.admin_call("create_task_entry", [0, "bench/ops", 1, None, True])
            chain_events.apply(task.events)
            chain_events.apply(rpc_ops.admin_call("new_network_key_rotation", []).events)
            task_id = int((task.event("TaskRegisteredEvent") or {})["task_small_id"]["inner"])
            address = operators.import_key("bench-op", Keypair.generate().to_keystore())
            registered = ledger_ops.register_node(address)
            node = int((registered.event("NodeRegisteredEvent") or {})["node_small_id"]["inner"])
            ledger_ops.operator_calls(address, [node], "rotate_node_public_key", [bytes(32), b"", 1, 0])
            ledger_ops.operator_calls(address, [node], "subscribe_node_to_task", [task_id, PRICE])
            for ops in (ledger_ops, rpc_ops):
                coin_pool.maintain(ops, "purchaser", size=4)

            price = iter(range(PRICE + 1, PRICE + 10 * args.rounds))
            operations: dict[str, Callable[[chain_impl.PortOps], object]] = {
                "buy_stack": lambda ops: ops.buy_stack(task_small_id=task_id, num_compute_units=10, price_cap=PRICE),
                "update_subscription": lambda ops: ops.operator_calls(
                    address, [node], "update_node_subscription", [task_id, next(price)]
                ),
                "events_since (50)": lambda ops: ops.events_since(None, 50),
            }
            print(f"{'operation':<22} {'in process ms':>13} {'GraphQL ms':>11} {'ratio':>6}")
            ratios = []
            for name, operation in operations.items():
                ms: dict[str, list[float]] = {"ledger": [], "rpc": []}
                sides = [("ledger", ledger_ops), ("rpc", rpc_ops)]
                for i in range(args.rounds):
                    for side, ops in sides if i % 2 == 0 else sides[::-1]:
                        start = time.perf_counter()
                        result = operation(ops)
                        ms[side].append((time.perf_counter() - start) * 1000)
                        assert getattr(result, "ok", True), result
                ratio = median(ms["rpc"]) / median(ms["ledger"])
                ratios.append(ratio)
                print(f"{name:<22} {median(ms['ledger']):>13.1f} {median(ms['rpc']):>11.1f} {ratio:>5.2f}x")
            print(f"median ratio, GraphQL stand-in over the ledger in process: {median(ratios):.2f}x")


if __name__ == "__main__":
    main()
