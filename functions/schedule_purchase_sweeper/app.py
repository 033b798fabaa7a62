"""Scheduled: finish or refund every stack purchase a crash or a timeout left behind (network/purchases/)."""

from nodeplane import freeze_heap
from nodeplane.invocation import scheduled
from nodeplane.network.purchases import sweeper

lambda_handler = scheduled(sweeper.sweep)

freeze_heap()  # the module's last line: the container's initialisation is over
