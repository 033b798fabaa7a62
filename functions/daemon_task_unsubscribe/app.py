"""POST /daemon/task_unsubscribe: one signed Sui transaction for the operator's nodes (all when none is named)."""

from typing import Annotated

from nodeplane.api import handler, http_resolver, tenant
from nodeplane.network import daemon
from nodeplane.network.models.daemon import TaskRequest, TxDigest

from aws_lambda_powertools.event_handler.openapi.params import Body

app = http_resolver("daemon")


@app.post("/daemon/task_unsubscribe", summary="Task unsubscribe", tags=["daemon"])
def task_unsubscribe(request: Annotated[TaskRequest, Body()]) -> TxDigest:
    return TxDigest(tx_digest=daemon.unsubscribe(tenant(app), request.task_small_id, request.node_small_id))


lambda_handler = handler(app)
