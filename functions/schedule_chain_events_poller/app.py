"""Scheduled: project new chain events into DynamoDB from the stored cursor (re-reading changes nothing)."""

from nodeplane import freeze_heap
from nodeplane.invocation import scheduled
from nodeplane.network import chain_events, chainops


def run() -> dict[str, int]:
    return chain_events.poll(chainops.ops())


lambda_handler = scheduled(run)

freeze_heap()  # the module's last line: the container's initialisation is over
