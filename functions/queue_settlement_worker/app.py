"""SQS: advance settlements (attest, resolve disputes, claim). Partial batch failures; poison ends in the DLQ."""

import json
from typing import Any

from nodeplane import freeze_heap
from nodeplane.invocation import sqs_worker
from nodeplane.network.settlement import worker

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord


def record_handler(record: SQSRecord, fields: dict[str, Any]) -> None:
    job = json.loads(record.body)
    if not isinstance(job, dict) or job.get("kind") != "settle" or not isinstance(job.get("stack_small_id"), int):
        raise ValueError(f"not a settlement job: {record.body[:200]!r}")
    fields["stackSmallId"] = job["stack_small_id"]
    # the message is only a pointer: the ticket in DynamoDB says what to do next
    fields["outcome"] = worker.process(job["stack_small_id"])


lambda_handler = sqs_worker(record_handler, queue="SettlementQueue")

freeze_heap()  # the module's last line: the container's initialisation is over
