"""Scheduled: project new chain events into DynamoDB from the stored cursor (re-reading changes nothing)."""

from typing import Any

from nodeplane import freeze_heap
from nodeplane.network import chain_events, chainops

from aws_lambda_powertools import Logger

logger = Logger(service="chain-events")


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    result = chain_events.poll(chainops.ops())
    logger.info("chain events projected", extra=result)
    return result


freeze_heap()  # the module's last line: the container's initialisation is over
