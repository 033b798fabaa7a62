"""Scheduled: reload offers from every provider adapter."""

from typing import Any

from aws_lambda_powertools import Logger

from nodeplane.pool import offers

logger = Logger(service="offers-refresh")


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    count = offers.refresh()
    logger.info("offers refreshed", extra={"offers": count})
    return {"offers": count}
