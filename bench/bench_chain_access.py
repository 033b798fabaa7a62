"""Chain-operation latency through the Sui GraphQL stand-in ÷ through the in-process ledger, same run.

Both adapters of the chain-access port serve the same ledger (DynamoDB Local underneath); each operation is
timed alternately on one and the other, so drift hits both. The ratio is what the GraphQL hop (HTTP, JSON,
graphql-core executing the published schema, rendering and decoding) adds to a chain operation locally.

Run: python bench/bench_chain_access.py [--rounds N]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from common import median

from nodeplane.chain.access import ChainAccess, EventFilter, shared_object
from nodeplane.chain.contract import SUI_COIN_TYPE
from nodeplane.chain.graphql import GraphQLChainAccess
from nodeplane.chain.keys import Keypair
from nodeplane.chain.ledger_access import LedgerChainAccess
from nodeplane.chain.transactions import CallSpec, ObjectRef, build_atoma_transaction
from nodeplane_local.engines import DynamoDBLocal
from nodeplane_local.harness.chain import ddb_client, new_ledger
from nodeplane_local.sui_rpc.server import SuiGraphQLServer


class Operator:
    """One node operator whose transactions go through one adapter; refs are carried over from the effects."""

    def __init__(self, chain: ChainAccess, info: dict[str, Any], task: int) -> None:
        self.chain, self.info, self.task, self.price = chain, info, task, 1
        self.kp = Keypair.generate()
        self.gas: ObjectRef | None = None
        self.badge: ObjectRef | None = None

    def tx(self, function: str, pure: list[Any], objects: list[ObjectRef]) -> bytes:
        assert self.gas is not None
        return build_atoma_transaction(
            package=self.info["package"],
            atoma_db=shared_object(self.chain, self.info["db_id"]),
            sender=self.kp.address,
            calls=[CallSpec(function, pure, objects)],
            gas_payment=[self.gas],
            gas_price=self.chain.epoch().reference_gas_price,
        )

    def send(self, tx: bytes) -> str:
        res = self.chain.execute(tx, [self.kp.sign_transaction(tx)]).raise_for_abort()
        self.gas = res.new_ref(self.gas.object_id) if self.gas else None
        if self.badge is not None:
            self.badge = res.new_ref(self.badge.object_id)
        return res.digest

    def register(self) -> None:
        self.gas = self.chain.owned_objects(self.kp.address, SUI_COIN_TYPE)[0].ref
        res = self.chain.execute(tx := self.tx("register_node_entry", [], []), [self.kp.sign_transaction(tx)])
        self.gas = res.new_ref(self.gas.object_id)
        self.badge = res.created(f"{self.info['package']}::db::NodeBadge")[0].ref
        self.send(self.tx("subscribe_node_to_task", [self.task, self.price], [self.badge]))

    def update(self) -> str:
        assert self.badge is not None
        self.price += 1
        return self.send(self.tx("update_node_subscription", [self.task, self.price], [self.badge]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()

    engine = DynamoDBLocal(db_path=None)
    admin = Keypair.generate()
    ledger = new_ledger(ddb_client(engine.url), admin)
    info = ledger.info()
    server = SuiGraphQLServer(ledger).start()
    adapters: dict[str, ChainAccess] = {
        "in-process": LedgerChainAccess(ledger),
        "graphql": GraphQLChainAccess(server.url),
    }
    try:
        admin_badge = ledger.object_ref(info["admin_badge"])
        task_tx = build_atoma_transaction(
            package=info["package"],
            atoma_db=ledger.shared_db(),
            sender=admin.address,
            calls=[CallSpec("create_task_entry", [0, "bench", 1, None, True], [admin_badge])],
            gas_payment=ledger.faucet(admin.address, sui=10**12),
            gas_price=ledger.reference_gas_price(),
        )
        created = ledger.submit(task_tx, [admin.sign_transaction(task_tx)]).events[0]["parsedJson"]
        task = int(created["task_small_id"]["inner"])
        operators = {name: Operator(chain, info, task) for name, chain in adapters.items()}
        for op in operators.values():
            ledger.faucet(op.kp.address, sui=10**15)
            op.register()
        module = EventFilter(module=f"{info['package']}::db")
        last: dict[str, str] = {}

        def update(name: str) -> None:
            last[name] = operators[name].update()

        operations: dict[str, Callable[[str], Any]] = {
            "epoch + gas price": lambda n: adapters[n].epoch(),
            "owned coins": lambda n: adapters[n].owned_objects(operators[n].kp.address, SUI_COIN_TYPE),
            "object ref (shared)": lambda n: shared_object(adapters[n], info["db_id"]),
            "dry run": lambda n: adapters[n].simulate(operators[n].tx("withdraw_fees", [], [operators[n].badge])),
            "execute": update,
            "lookup by digest": lambda n: adapters[n].transaction(last[n]),
            "events page (20)": lambda n: adapters[n].events(module, None, 20),
        }
        times: dict[tuple[str, str], list[float]] = {(op, n): [] for op in operations for n in adapters}
        for round_ in range(args.rounds):
            for op, fn in operations.items():
                order = list(adapters) if round_ % 2 == 0 else list(reversed(adapters))
                for name in order:
                    start = time.perf_counter()
                    fn(name)
                    times[(op, name)].append(time.perf_counter() - start)
        print(f"{'operation':<22} {'in-process ms':>14} {'graphql ms':>11} {'ratio':>7}")
        ratios = []
        for op in operations:
            local, remote = median(times[(op, "in-process")]), median(times[(op, "graphql")])
            ratios.append(remote / local)
            print(f"{op:<22} {local * 1e3:14.2f} {remote * 1e3:11.2f} {remote / local:6.2f}x")
        print(f"{'median ratio':<22} {'':>14} {'':>11} {median(ratios):6.2f}x   ({args.rounds} rounds each)")
    finally:
        server.stop()
        engine.stop()


if __name__ == "__main__":
    main()
