"""Scheduled: reload offers from every provider adapter."""

from typing import Any

from nodeplane import freeze_heap
from nodeplane.pool import offers

from aws_lambda_powertools import Logger

logger = Logger(service="offers-refresh")


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    count = offers.refresh()
    logger.info("offers refreshed", extra={"offers": count})
    return {"offers": count}


freeze_heap()  # the module's last line: the container's initialisation is over
