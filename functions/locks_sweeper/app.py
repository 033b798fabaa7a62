"""Scheduled: release the compute units of expired confidential-compute locks."""

from typing import Any

from aws_lambda_powertools import Logger

from nodeplane.network import locks

logger = Logger(service="locks-sweeper")


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    result = locks.sweep()
    logger.info("locks sweep", extra=result)
    return result
