"""Scheduled: fail nodes still undiscovered 10 minutes after import; re-enqueue lost discovery jobs."""

from typing import Any

from nodeplane import freeze_heap
from nodeplane.pool import discovery

from aws_lambda_powertools import Logger

logger = Logger(service="discovery-sweeper")


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    result = discovery.sweep()
    logger.info("discovery sweep", extra=result)
    return result


freeze_heap()  # the module's last line: the container's initialisation is over
