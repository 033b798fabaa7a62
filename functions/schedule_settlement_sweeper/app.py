"""Scheduled: re-enqueue settlements whose work stalled (outbox); fail those whose time ran out."""

from nodeplane import freeze_heap
from nodeplane.invocation import scheduled
from nodeplane.network.settlement import sweeper

lambda_handler = scheduled(sweeper.sweep)

freeze_heap()  # the module's last line: the container's initialisation is over
