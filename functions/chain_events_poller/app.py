"""Scheduled: project new chain events into DynamoDB from the stored cursor (re-reading changes nothing)."""

from typing import Any

from aws_lambda_powertools import Logger

from nodeplane.network import chainops, projection, settlement  # noqa: F401  (settlement registers its handlers)

logger = Logger(service="chain-events")


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    result = projection.poll(chainops.ops())
    logger.info("chain events projected", extra=result)
    return result
