"""SQS: advance settlements (attest, resolve disputes, claim). Partial batch failures; poison ends in the DLQ."""

import json
from typing import Any

from nodeplane import freeze_heap
from nodeplane.network.settlement import worker

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

logger = Logger(service="settlement")
processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> None:
    job = json.loads(record.body)
    if not isinstance(job, dict) or job.get("kind") != "settle" or not isinstance(job.get("stack_small_id"), int):
        raise ValueError(f"not a settlement job: {record.body[:200]!r}")
    # the message is only a pointer: the ticket in DynamoDB says what to do next
    status = worker.process(job["stack_small_id"])
    logger.info("settlement", extra={"stack_small_id": job["stack_small_id"], "status": status})


def lambda_handler(event: dict[str, Any], context: Any) -> Any:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)


freeze_heap()  # the module's last line: the container's initialisation is over
