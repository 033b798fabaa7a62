"""SQS: advance settlements (attest, resolve disputes, claim). Partial batch failures; poison ends in the DLQ."""

import contextlib
import json
from typing import Any

from nodeplane import freeze_heap
from nodeplane.invocation import Handle, sqs_batch_worker
from nodeplane.network.settlement import worker

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord


def stack_of(record: SQSRecord) -> int:
    """The stack a settlement job names; ValueError for anything else (the message ends in the DLQ)."""
    try:
        job = json.loads(record.body)
    except ValueError:
        job = None
    if not isinstance(job, dict) or job.get("kind") != "settle" or not isinstance(job.get("stack_small_id"), int):
        raise ValueError(f"not a settlement job: {record.body[:200]!r}")
    return int(job["stack_small_id"])


def settle_batch(records: list[SQSRecord]) -> Handle:
    # the messages are only pointers: the batch's tickets in DynamoDB say what to do next, for all of them at once
    stacks = []
    for record in records:
        with contextlib.suppress(ValueError):  # reported by its own record below
            stacks.append(stack_of(record))
    try:
        outcomes: dict[int, Any] = worker.settle(stacks) if stacks else {}
    except Exception as exc:  # the batch's read failed: each record reports it, and goes back to the queue
        outcomes = dict.fromkeys(stacks, exc)

    def record_handler(record: SQSRecord, fields: dict[str, Any]) -> None:
        stack = stack_of(record)
        fields["stackSmallId"] = stack
        outcome = outcomes[stack]
        if isinstance(outcome, Exception):
            raise outcome
        fields["outcome"] = outcome

    return record_handler


lambda_handler = sqs_batch_worker(settle_batch, queue="SettlementQueue")

freeze_heap()  # the module's last line: the container's initialisation is over
