"""Scheduled: release the compute units of expired confidential-compute locks."""

from typing import Any

from nodeplane import freeze_heap
from nodeplane.network.locks import sweeper

from aws_lambda_powertools import Logger

logger = Logger(service="locks-sweeper")


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    result = sweeper.sweep()
    logger.info("locks sweep", extra=result)
    return result


freeze_heap()  # the module's last line: the container's initialisation is over
