"""Scheduled: keep the coin pools of nodeplane's wallets fit (enough gas and payment coins, none too small)."""

from typing import Any

from nodeplane import freeze_heap
from nodeplane.network import chainops, coin_pool

from aws_lambda_powertools import Logger

logger = Logger(service="coin-pool")


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, dict[str, int]]:
    result = coin_pool.maintain_all(chainops.ops())
    logger.info("coin pools maintained", extra=result)
    return result


freeze_heap()  # the module's last line: the container's initialisation is over
