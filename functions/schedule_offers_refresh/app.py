"""Scheduled: reload offers from every provider adapter."""

from nodeplane import freeze_heap
from nodeplane.invocation import scheduled
from nodeplane.pool import offers


def run() -> dict[str, int]:
    return {"offers": offers.refresh()}


lambda_handler = scheduled(run)

freeze_heap()  # the module's last line: the container's initialisation is over
