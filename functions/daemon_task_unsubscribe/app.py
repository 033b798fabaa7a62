"""POST /daemon/task_unsubscribe: unsubscribe the operator's nodes from a task, one signed Sui transaction.

The node by ``node_badge_id`` (404 for a badge the operator does not hold) or ``node_small_id``, else all the
operator's nodes; gas settings go to the chain client. A failed submission is 500
``{"error": "Failed to submit node task unsubscription tx"}``.
"""

from typing import Annotated

from nodeplane.api import documented, handler, http_resolver, tenant
from nodeplane.network import daemon
from nodeplane.network.models.daemon import TaskRequest, TxDigest

from aws_lambda_powertools.event_handler.openapi.params import Body

app = http_resolver("daemon", failure="Failed to submit node task unsubscription tx")


@app.post(
    "/daemon/task_unsubscribe",
    summary="Unsubscribe nodes from a task",
    tags=["daemon"],
    description=__doc__,
    responses=documented(
        "daemon", 200, "Successfully submitted task unsubscription transaction", 400, 403, 404, 409, 422
    ),
)
def task_unsubscribe(request: Annotated[TaskRequest, Body()]) -> TxDigest:
    digest = daemon.unsubscribe(
        tenant(app),
        request.task_small_id,
        request.node_small_id,
        node_badge_id=request.node_badge_id,
        gas=request.gas_options(),
    )
    return TxDigest(tx_digest=digest)


lambda_handler = handler(app)
