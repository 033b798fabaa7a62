"""POST /daemon/task_subscribe: one signed Sui transaction for the operator's nodes (all when none is named)."""

from typing import Annotated

from nodeplane.api import handler, http_resolver, tenant
from nodeplane.network import daemon
from nodeplane.network.models.daemon import TaskRequest, TxDigest

from aws_lambda_powertools.event_handler.openapi.params import Body

app = http_resolver("daemon")


@app.post("/daemon/task_subscribe", summary="Task subscribe", tags=["daemon"])
def task_subscribe(request: Annotated[TaskRequest, Body()]) -> TxDigest:
    digest = daemon.subscribe(tenant(app), request.task_small_id, request.price(), request.node_small_id, update=False)
    return TxDigest(tx_digest=digest)


lambda_handler = handler(app)
