"""SQS: discover self-managed nodes over SSH (partial batch failures; poison messages end in the DLQ)."""

import json
from typing import Any

from nodeplane import freeze_heap
from nodeplane.pool import discovery

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

logger = Logger(service="discovery")
processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> None:
    job = json.loads(record.body)
    if job.get("kind") != "discover_node" or not job.get("tenant") or not job.get("node_id"):
        raise ValueError(f"not a discovery job: {record.body[:200]!r}")
    outcome = discovery.discover(job["tenant"], job["node_id"], int(job.get("attempt", 0)))
    logger.info("discovery", extra={"node_id": outcome.node_id, "status": outcome.status, "reason": outcome.reason})


def lambda_handler(event: dict[str, Any], context: Any) -> Any:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)


freeze_heap()  # the module's last line: the container's initialisation is over
