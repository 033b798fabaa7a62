"""Scheduled: re-enqueue settlements whose work stalled (outbox); fail those whose time ran out."""

from typing import Any

from nodeplane import freeze_heap
from nodeplane.network.settlement import sweeper

from aws_lambda_powertools import Logger

logger = Logger(service="settlement-sweeper")


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    result = sweeper.sweep()
    logger.info("settlement sweep", extra=result)
    return result


freeze_heap()  # the module's last line: the container's initialisation is over
