"""SQS: the message types that point at work, and the publisher. Messages are pointers; DynamoDB holds the truth."""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from typing import Any

from nodeplane import aws

logger = logging.getLogger("nodeplane.queue")


@lru_cache(maxsize=1)
def sqs() -> Any:
    return aws.client("sqs")


def send(queue_url: str, message: dict[str, Any], *, delay_seconds: int = 0) -> bool:
    """Send one message; a failure is logged, not raised, because a sweeper re-enqueues from DynamoDB."""
    try:
        sqs().send_message(QueueUrl=queue_url, MessageBody=json.dumps(message), DelaySeconds=delay_seconds)
    except Exception:
        logger.exception("could not enqueue %s; the sweeper will retry", message.get("kind"))
        return False
    return True


def discovery_job(tenant: str, node_id: str, attempt: int = 0) -> dict[str, Any]:
    return {"kind": "discover_node", "tenant": tenant, "node_id": node_id, "attempt": attempt}
