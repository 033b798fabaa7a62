"""Settlement at its floor: DynamoDB calls per step and per lock next to the floor docs/performance.md states, and
worker throughput at SQS batch sizes 1 and 10 against a bare SQS loop, on DynamoDB Local, moto and the Sui
GraphQL stand-in, all in one run; then the worker's cold import.

1. Calls. On DynamoDB Local with the real local ledger (whose own table is the chain's and is not counted), once
   the container is warm: try-settle (POST /daemon/claim_stacks of a sampling stack), attest and claim (one
   worker record each, the claim writing the ticket Complete), the same steps for a batch of 10 (per
   settlement), and a lock on the caller's existing stack. Target: each step at its floor.
2. Throughput. N sampling-consensus settlements are opened (try-settle, not timed), then a receive -> worker ->
   delete loop drains the attestation jobs; the dispute window and the chain's epoch pass; the loop drains one
   claim job per settlement. Settlements/s = N / (both drains), with receives of 1 and of 10 messages. Beside
   each, a bare receive -> delete loop over N messages on the same queue with the same batch size. Target:
   batch-10 settlements/s >= 3x batch-1's. Engines: DynamoDB Local (SQS on moto) and the ledger in process;
   moto for both; DynamoDB Local with every chain call over the Sui GraphQL stand-in (`--engines`).
3. Cold start. The worker module and a boto3-only module are imported and invoked once in fresh
   interpreters, alternating, median of ``--runs``. Target: at most 1.5x.

Usage: python bench/bench_settlement.py [--settlements N] [--moto-settlements N] [--runs N] [--engines ddb,moto,rpc]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from common import (
    ROOT,
    cold_run,
    compile_sources,
    function_environment,
    median,
    moto_backend,
    sui_rpc_stand_in,
)

WINDOW = 60  # nodeplane's dispute window (SETTLEMENT_WINDOW_SECONDS) in the bench; passed with the clock
SAMPLING, CONFIDENTIAL = 2, 1
SELLER_PRICE, ATTESTER_PRICE = 100, 200
LOCK_MODEL = "bench/lock"

# the floor of each step (docs/performance.md says which calls and why)
FLOOR = {"try-settle": 4, "attest": 3, "claim + complete": 3, "lock on an existing stack": 3}
ENGINES = {"ddb": "DynamoDB Local", "moto": "moto", "rpc": "Sui GraphQL stand-in"}


# --- the world ------------------------------------------------------------------------------------------------------


class World:
    """A sampling-consensus task with a seller and an attester whose keys nodeplane holds, on the chain the
    environment names (the ledger in process, or the Sui GraphQL stand-in)."""

    def __init__(self) -> None:
        from nodeplane.chain.keys import Keypair
        from nodeplane.network import chain_events, chainops, operators

        self.ops = chainops.ops()
        chain_events.apply(self.ops.admin_call("create_task_entry", [0, "bench/settle", SAMPLING, None, True]).events)
        self.task = 1
        for tenant, price in (("seller", SELLER_PRICE), ("attester", ATTESTER_PRICE)):
            address = operators.import_key(tenant, Keypair.generate().to_keystore())
            registered = self.ops.register_node(address)
            chain_events.apply(registered.events)
            node = int((registered.event("NodeRegisteredEvent") or {})["node_small_id"]["inner"])
            subscribed = self.ops.operator_calls(address, [node], "subscribe_node_to_task", [self.task, price])
            chain_events.apply(subscribed.events)

    def buy(self, n: int) -> list[int]:
        """n stacks of the task, all sold by the seller (the only subscriber at the price cap)."""
        from nodeplane.network import chain_events

        stacks = []
        for _ in range(n):
            bought = self.ops.buy_stack(task_small_id=self.task, num_compute_units=1000, price_cap=SELLER_PRICE)
            chain_events.apply(bought.events)
            stacks.append(int((bought.event("StackCreatedEvent") or {})["stack_small_id"]["inner"]))
        return stacks

    def open(self, n: int) -> list[int]:
        """n stacks bought and try-settled (their attestation jobs are on the queue)."""
        from nodeplane.network.settlement import operator_api

        stacks = self.buy(n)
        for stack in stacks:
            operator_api.claim_stacks("seller", [stack], None, None)
        return stacks

    def epoch_turns(self) -> None:
        """nodeplane's window passes (its clock) and the chain's epoch turns (the ledger's, through its table)."""
        import boto3

        from nodeplane import clock
        from nodeplane.chain.ledger import LocalLedger

        clock.advance(WINDOW + 1)
        ledger = LocalLedger(boto3.client("dynamodb"), os.environ["LEDGER_TABLE_NAME"], admin_address="0x0")
        ledger.advance_epoch()


def _worker() -> Any:
    from nodeplane_local.harness.lambda_events import load_function

    return load_function("queue_settlement_worker")


def work(stacks: list[int]) -> None:
    """One SQS batch naming ``stacks`` through the worker; every record must succeed."""
    from nodeplane.network.settlement import jobs
    from nodeplane_local.harness.lambda_events import Context, sqs_event

    result = _worker().lambda_handler(sqs_event([jobs.job(s, None) for s in stacks]), Context(aws_request_id="b"))
    assert result["batchItemFailures"] == [], result


def status(stack: int) -> str:
    from nodeplane.network.settlement import tickets

    return str((tickets.ticket(stack) or {}).get("settlement_status"))


# --- 1. calls -------------------------------------------------------------------------------------------------------


def lock_market() -> None:
    """A confidential task with the seller's node subscribed and its key committed at the current rotation."""
    from nodeplane.network import chain_events, chainops, daemon, operators

    ops = chainops.ops()
    created = ops.admin_call("create_task_entry", [0, LOCK_MODEL, CONFIDENTIAL, None, True])
    chain_events.apply(created.events)
    task = int((created.event("TaskRegisteredEvent") or {})["task_small_id"]["inner"])
    chain_events.apply(ops.admin_call("new_network_key_rotation", []).events)
    node = operators.operator_node_ids(operators.operator_address("seller") or "")[0]
    daemon.publish_public_key("seller", node, base64.b64encode(bytes(range(32))).decode(), 0)
    daemon.subscribe("seller", task, SELLER_PRICE, node, update=False)


def lock(user: str) -> None:
    from nodeplane_local.harness.lambda_events import http_event, invoke

    body = {"model": LOCK_MODEL, "max_num_tokens": 10}
    reply = invoke("proxy_lock", http_event("POST", "/proxy/v1/nodes/lock", body=body, tenant=user))
    assert reply.status == 200, reply.body


def calls(world: World) -> dict[str, tuple[float, list[str]]]:
    """Each step's calls, once the container is warm; a batch's per settlement."""
    from nodeplane.network import balances
    from nodeplane.network.settlement import operator_api, tickets
    from nodeplane_local.harness.calls import TableCalls

    meter = TableCalls()
    out: dict[str, tuple[float, list[str]]] = {}
    warm = world.open(1)
    work(warm)  # the first step of a container reads its wallets and keys
    fresh = world.buy(1)
    made = meter.during(lambda: operator_api.claim_stacks("seller", fresh, None, None))
    out["try-settle"] = (len(made), made)
    made = meter.during(lambda: work(fresh))
    assert status(fresh[0]) == tickets.SETTLED, status(fresh[0])
    out["attest"] = (len(made), made)
    ten = world.open(10)
    made = meter.during(lambda: work(ten))
    out["attest, per settlement of a batch of 10"] = (len(made) / 10, made)
    world.epoch_turns()
    work(warm)
    made = meter.during(lambda: work(fresh))
    assert status(fresh[0]) == tickets.COMPLETE, status(fresh[0])
    out["claim + complete"] = (len(made), made)
    made = meter.during(lambda: work(ten))
    assert {status(s) for s in ten} == {tickets.COMPLETE}
    out["claim + complete, per settlement of 10"] = (len(made) / 10, made)

    lock_market()
    balances.credit("bench-user", 10 * SELLER_PRICE)
    lock("bench-user")  # buys the stack, and warms the lock container
    made = meter.during(lambda: lock("bench-user"))
    out["lock on an existing stack"] = (len(made), made)
    return out


# --- 2. throughput ----------------------------------------------------------------------------------------------------


def _sqs() -> Any:
    import boto3

    return boto3.client("sqs")


def drain(url: str, batch: int, handle: Callable[[list[dict[str, Any]]], set[str]]) -> int:
    """receive ``batch`` -> handle -> delete the successes, until a receive comes back empty."""
    sqs, done = _sqs(), 0
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=batch).get("Messages", [])
        if not messages:
            return done
        failed = handle(messages)
        ok = [m for m in messages if m["MessageId"] not in failed]
        if len(ok) == 1:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=ok[0]["ReceiptHandle"])
        elif ok:
            sqs.delete_message_batch(
                QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(ok)]
            )
        done += len(ok)


def throughput(world: World, n: int, batch: int) -> dict[str, float]:
    from nodeplane.network.settlement import jobs, tickets
    from nodeplane_local.harness.lambda_events import Context, received_event

    worker = _worker()

    def handle(messages: list[dict[str, Any]]) -> set[str]:
        result = worker.lambda_handler(received_event(messages), Context(aws_request_id="bench"))
        return {f["itemIdentifier"] for f in result["batchItemFailures"]}

    url = fresh_queue()  # none of the jobs earlier steps left (a claim waiting for its window)
    stacks = world.open(n)  # their attestation jobs are on the queue
    start = time.perf_counter()
    drain(url, batch, handle)
    attest_s = time.perf_counter() - start
    assert {status(s) for s in stacks} == {tickets.SETTLED}, {status(s) for s in stacks}
    world.epoch_turns()
    url = fresh_queue()  # the claim jobs the attestations sent wait for the window (real time): sent again now
    send(url, [jobs.job(s, "claim") for s in stacks])
    start = time.perf_counter()
    drain(url, batch, handle)
    claim_s = time.perf_counter() - start
    assert {status(s) for s in stacks} == {tickets.COMPLETE}, {status(s) for s in stacks}

    send(url, [jobs.job(i, None) for i in range(2 * n)])  # as many messages as the two drains took
    start = time.perf_counter()
    bare = drain(url, batch, lambda messages: set())
    bare_s = time.perf_counter() - start
    worker_s = attest_s + claim_s
    return {"settlements_per_s": n / worker_s, "messages_per_s": 2 * n / worker_s, "bare_per_s": bare / bare_s}


def fresh_queue() -> str:
    """A new settlement queue, where the worker sends its jobs from now on (SQS delays are real time: a job an
    earlier phase delayed past the bench's moved clock never turns up in a later one)."""
    import uuid

    from nodeplane import settings

    url = str(_sqs().create_queue(QueueName=f"bench-settlement-{uuid.uuid4().hex[:12]}")["QueueUrl"])
    os.environ["SETTLEMENT_QUEUE_URL"] = url
    settings.settings.cache_clear()
    return url


def send(url: str, bodies: list[dict[str, Any]]) -> None:
    sqs = _sqs()
    for i in range(0, len(bodies), 10):
        sqs.send_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(j), "MessageBody": json.dumps(b)} for j, b in enumerate(bodies[i : i + 10])],
        )


@contextmanager
def engine(name: str) -> Iterator[None]:
    """The environment of one engine, with the settlement settings of the bench."""
    from nodeplane import aws, queue, security, settings, store
    from nodeplane.network import chain_impl, chainops

    def fresh_clients() -> None:  # each engine has its own endpoints
        settings.settings.cache_clear()
        aws.reset()
        store.dynamodb.cache_clear()
        queue.sqs.cache_clear()
        security.kms.cache_clear()

    os.environ.update({"SETTLEMENT_WINDOW_SECONDS": str(WINDOW), "LEDGER_CROSS_VALIDATION_PERMILLE": "1000"})
    with moto_backend(dynamodb_local=name != "moto"):
        fresh_clients()
        with sui_rpc_stand_in() if name == "rpc" else nullcontext():
            fresh_clients()
            chain_impl.default_ops.cache_clear()
            chainops.use(None)
            try:
                yield
            finally:
                chainops.use(None)
                chain_impl.default_ops.cache_clear()
        for variable in (
            "SUI_RPC_URL",
            "SUI_NETWORK",
            "ATOMA_PACKAGE_ID",
            "ATOMA_DB_OBJECT_ID",
            "ATOMA_DB_INITIAL_SHARED_VERSION",
            "USDC_COIN_TYPE",
            "SUI_FAUCET_URL",
            "SUI_RPC_READ_TIMEOUT",
        ):
            os.environ.pop(variable, None)  # the next engine's chain is the ledger in process


# --- 3. cold start ------------------------------------------------------------------------------------------------


def cold(runs: int) -> dict[str, float]:
    # one record for a settlement that is already Complete: the worker reads its ticket and stops
    from nodeplane import aws, settings, store
    from nodeplane.network import items
    from nodeplane_local.harness.lambda_events import sqs_event

    with moto_backend() as env:
        settings.settings.cache_clear()
        store.dynamodb.cache_clear()
        aws.reset()
        done = {"pk": items.stack_pk(1), "sk": "TICKET", "stack_small_id": 1, "settlement_status": "Complete"}
        store.transact([store.put(done)])
        event = sqs_event([{"kind": "settle", "stack_small_id": 1}])
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(event, f)
        path = Path(f.name)
        worker_path = ROOT / "functions" / "queue_settlement_worker" / "app.py"
        baseline_path = ROOT / "bench" / "baseline_handler.py"
        env = env | function_environment("queue_settlement_worker")  # as Lambda runs it (the baseline ignores it)
        cold_run(worker_path, path, env)  # warm the bytecode cache
        ours, base = [], []
        for _ in range(runs):
            ours.append(cold_run(worker_path, path, env))
            base.append(cold_run(baseline_path, path, env))
        os.unlink(path)
    return {
        "import_ratio": median([r["import_ms"] for r in ours]) / median([r["import_ms"] for r in base]),
        "total_ratio": median([r["total_ms"] for r in ours]) / median([r["total_ms"] for r in base]),
        "worker_import_ms": median([r["import_ms"] for r in ours]),
        "baseline_import_ms": median([r["import_ms"] for r in base]),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--settlements", type=int, default=100)
    parser.add_argument("--moto-settlements", type=int, default=30, help="moto's TransactWriteItems is slow")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--engines", default="ddb,moto,rpc")
    args = parser.parse_args()
    compile_sources()  # both sides read bytecode, as a deployed layer does

    results: dict[str, dict[int, dict[str, float]]] = {}
    counted: dict[str, tuple[float, list[str]]] = {}
    for name in args.engines.split(","):
        with engine(name):
            world = World()
            if name == "ddb":
                counted = calls(world)
            n = args.moto_settlements if name == "moto" else args.settlements
            results[name] = {batch: throughput(world, n, batch) for batch in (1, 10)}

    if counted:
        print("DynamoDB calls on nodeplane's table (the ledger's own are the chain's), DynamoDB Local, warm container:")
        print(f"{'step':<40} {'calls':>5} {'floor':>5}  operations")
        for step, (n, made) in counted.items():
            floor = FLOOR.get(step)
            mark = "" if floor is None else ("  (at floor)" if n <= floor else "  (ABOVE FLOOR)")
            shown = f"{n:.1f}" if n != int(n) else f"{int(n)}"
            print(f"{step:<40} {shown:>5} {floor if floor is not None else '-':>5}  {', '.join(made)}{mark}")
        met = all(counted[s][0] <= f for s, f in FLOOR.items() if s in counted)
        print(f"every step at its floor (lock <= 3, settlement step <= 4): {'yes' if met else 'NO'}")
    print("settlement worker (2 messages per settlement: attest, claim) against a bare SQS receive/delete loop:")
    header = f"{'engine':<22} {'batch':>5} {'settlements/s':>13} {'worker msgs/s':>13} {'bare msgs/s':>11}"
    print(f"{header} {'worker/bare':>11}")
    for name, by_batch in results.items():
        for batch, r in by_batch.items():
            ratio = r["messages_per_s"] / r["bare_per_s"]
            print(
                f"{ENGINES[name]:<22} {batch:>5} {r['settlements_per_s']:>13.1f} {r['messages_per_s']:>13.1f} "
                f"{r['bare_per_s']:>11.1f} {ratio:>11.3f}"
            )
    for name, by_batch in results.items():
        ratio = by_batch[10]["settlements_per_s"] / by_batch[1]["settlements_per_s"]
        # the target is DynamoDB Local's; moto's TransactWriteItems (tens of ms each) dominates its own figures
        verdict = f"target >= 3: {'met' if ratio >= 3 else 'NOT met'}" if name == "ddb" else "for comparison"
        print(f"{ENGINES[name]}: batch-10 / batch-1 settlements/s = {ratio:.2f} ({verdict})")
    c = cold(args.runs)
    print(
        f"cold import: worker {c['worker_import_ms']:.0f} ms vs boto3-only {c['baseline_import_ms']:.0f} ms, "
        f"ratio {c['import_ratio']:.2f} (import + first invoke ratio {c['total_ratio']:.2f}; target <= 1.5)"
    )


if __name__ == "__main__":
    main()
