"""SQS: discover self-managed nodes over SSH (partial batch failures; poison messages end in the DLQ)."""

import json
from typing import Any

from nodeplane import freeze_heap
from nodeplane.invocation import sqs_worker
from nodeplane.pool import discovery

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord


def record_handler(record: SQSRecord, fields: dict[str, Any]) -> None:
    job = json.loads(record.body)
    if job.get("kind") != "discover_node" or not job.get("tenant") or not job.get("node_id"):
        raise ValueError(f"not a discovery job: {record.body[:200]!r}")
    fields.update(nodeId=job["node_id"], tenant=job["tenant"], attempt=int(job.get("attempt", 0)))
    outcome = discovery.discover(job["tenant"], job["node_id"], int(job.get("attempt", 0)))
    fields["outcome"] = outcome.status
    if outcome.reason:
        fields["reason"] = outcome.reason


lambda_handler = sqs_worker(record_handler, queue="DiscoveryQueue")

freeze_heap()  # the module's last line: the container's initialisation is over
