"""Scheduled: finish or refund every stack purchase a crash or a timeout left behind (network/purchases/)."""

from typing import Any

from nodeplane import freeze_heap
from nodeplane.network.purchases import sweeper

from aws_lambda_powertools import Logger

logger = Logger(service="purchase-sweeper")


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    result = sweeper.sweep()
    logger.info("purchase sweep", extra=result)
    return result


freeze_heap()  # the module's last line: the container's initialisation is over
