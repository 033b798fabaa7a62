"""Scheduled: fail nodes still undiscovered 10 minutes after import; re-enqueue lost discovery jobs."""

from nodeplane import freeze_heap
from nodeplane.invocation import scheduled
from nodeplane.pool import discovery

lambda_handler = scheduled(discovery.sweep)

freeze_heap()  # the module's last line: the container's initialisation is over
