"""Scheduled: fail nodes still undiscovered 10 minutes after import; re-enqueue lost discovery jobs."""

from typing import Any

from aws_lambda_powertools import Logger

from nodeplane.pool import discovery

logger = Logger(service="discovery-sweeper")


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    result = discovery.sweep()
    logger.info("discovery sweep", extra=result)
    return result
