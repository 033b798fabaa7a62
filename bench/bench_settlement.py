"""Settlement worker throughput against a bare SQS loop on the same queue, and the worker's cold import.

1. Throughput. N sampling-consensus settlements are opened (try_settle through the daemon path, against the
   fake chain of tests/support/fakes.py), then a receive → worker → delete loop runs until the queue is empty and every
   ticket is Complete (attestation + claim, each guarded, each projected). Settlements per second are
   divided by the messages per second of a bare receive → delete loop over N messages on the same queue of
   the same moto server, measured in the same run. The ratio says how much of the queue's speed the
   settlement work keeps: every settlement is ~30 DynamoDB calls, so expect it well below 1.
2. Cold start. The worker module and a boto3-only module are imported and invoked once in fresh
   interpreters, alternating, median of ``--runs``. Target: at most 1.5x.

Usage: python bench/bench_settlement.py [--settlements N] [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from common import ROOT, cold_run, compile_sources, function_environment, median, moto_backend


def _sqs() -> Any:
    import boto3

    return boto3.client("sqs")


def _loop(url: str, handle: Any) -> int:
    """receive 10 → handle → batch-delete the successes, until a receive comes back empty."""
    sqs, done = _sqs(), 0
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return done
        failed = handle(messages)
        ok = [m for m in messages if m["MessageId"] not in failed]
        if ok:
            sqs.delete_message_batch(
                QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(ok)]
            )
        done += len(ok)


def seed(n: int) -> Any:
    """n open settlements, each waiting for one attestation by a node whose key nodeplane holds."""
    from nodeplane.network import chain_events, chainops
    from nodeplane.network.settlement import operator_api
    from nodeplane_local.harness.fakes import FakeChain
    from nodeplane_local.harness.network import hold_operator_key, register_operator

    chain = FakeChain(sample=[2])
    chainops.use(chain)
    seller, attester = "0x" + "01" * 32, "0x" + "02" * 32
    chain.add_node(seller), chain.add_node(attester)
    task = chain.create_task(2)
    register_operator("bench", seller)
    hold_operator_key(seller)
    hold_operator_key(attester)
    stacks = [chain.create_stack(task, 1) for _ in range(n)]
    chain_events.poll(chain, max_pages=10_000)
    for stack in stacks:
        operator_api.claim_stacks("bench", [stack], None, None)  # try_settle; the job goes to SQS
    chain.epoch += 1  # the chain's dispute window passes with nodeplane's (0 s here)
    return chain, stacks


def throughput(n: int, env: dict[str, str]) -> dict[str, float]:
    from nodeplane.network.settlement import jobs, tickets
    from nodeplane_local.harness.lambda_events import Context, load_function, received_event

    url = env["SETTLEMENT_QUEUE_URL"]
    chain, stacks = seed(n)
    worker = load_function("queue_settlement_worker")

    def handle(messages: list[dict[str, Any]]) -> set[str]:
        result = worker.lambda_handler(received_event(messages), Context(aws_request_id="bench"))
        return {f["itemIdentifier"] for f in result["batchItemFailures"]}

    start = time.perf_counter()
    _loop(url, handle)
    worker_s = time.perf_counter() - start
    complete = sum(1 for s in stacks if (tickets.ticket(s) or {}).get("settlement_status") == tickets.COMPLETE)
    assert complete == n and len(chain.payments) == n, (complete, len(chain.payments))

    sqs = _sqs()
    for i in range(0, n, 10):
        sqs.send_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(j), "MessageBody": json.dumps(jobs.job(j, None))} for j in range(i, min(n, i + 10))],
        )
    start = time.perf_counter()
    bare = _loop(url, lambda messages: set())
    bare_s = time.perf_counter() - start
    return {"settlements_per_s": n / worker_s, "bare_messages_per_s": bare / bare_s}


def cold(runs: int, env: dict[str, str]) -> dict[str, float]:
    # one record for a settlement that is already Complete: the worker reads its ticket and stops
    from nodeplane_local.harness.lambda_events import sqs_event

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
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    compile_sources()  # both sides read bytecode, as a deployed layer does
    os.environ["SETTLEMENT_WINDOW_SECONDS"] = "0"
    with moto_backend() as env:
        env = env | {"SETTLEMENT_WINDOW_SECONDS": "0"}
        t = throughput(args.settlements, env)
        c = cold(args.runs, env)
    print(f"settlement worker: {t['settlements_per_s']:.1f} settlements/s (attest + claim each)")
    print(f"bare SQS receive/delete loop: {t['bare_messages_per_s']:.1f} messages/s (same queue, same server)")
    print(f"throughput ratio worker/bare: {t['settlements_per_s'] / t['bare_messages_per_s']:.3f}")
    print(
        f"cold import: worker {c['worker_import_ms']:.0f} ms vs boto3-only {c['baseline_import_ms']:.0f} ms, "
        f"ratio {c['import_ratio']:.2f} (import + first invoke ratio {c['total_ratio']:.2f}; target <= 1.5)"
    )


if __name__ == "__main__":
    main()
