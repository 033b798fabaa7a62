"""Scheduled: release the compute units of expired confidential-compute locks."""

from nodeplane import freeze_heap
from nodeplane.invocation import scheduled
from nodeplane.network.locks import sweeper

lambda_handler = scheduled(sweeper.sweep)

freeze_heap()  # the module's last line: the container's initialisation is over
