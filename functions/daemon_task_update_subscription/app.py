"""POST /daemon/task_update_subscription: a new price (and stack limit) for existing subscriptions.

Fields as ``/daemon/task_subscribe``: the node by ``node_badge_id`` or ``node_small_id`` (else all the
operator's nodes), ``price_per_compute_unit`` per compute unit, ``max_num_compute_units`` 1..1,000,000 (kept
as it was when omitted), gas settings passed to the chain client. A failed submission is 500
``{"error": "Failed to submit node task update subscription"}``.
"""

from typing import Annotated

from nodeplane.api import documented, handler, http_resolver, tenant
from nodeplane.network import daemon
from nodeplane.network.models.daemon import TaskRequest, TxDigest

from aws_lambda_powertools.event_handler.openapi.params import Body

app = http_resolver("daemon", failure="Failed to submit node task update subscription")


@app.post(
    "/daemon/task_update_subscription",
    summary="Update task subscriptions",
    tags=["daemon"],
    description=__doc__,
    responses=documented(
        "daemon", 200, "Successfully submitted task subscription update transaction", 400, 403, 404, 409, 422
    ),
)
def task_update_subscription(request: Annotated[TaskRequest, Body()]) -> TxDigest:
    digest = daemon.subscribe(
        tenant(app),
        request.task_small_id,
        request.price(),
        request.node_small_id,
        update=True,
        node_badge_id=request.node_badge_id,
        max_num_compute_units=request.max_num_compute_units,
        gas=request.gas_options(),
    )
    return TxDigest(tx_digest=digest)


lambda_handler = handler(app)
