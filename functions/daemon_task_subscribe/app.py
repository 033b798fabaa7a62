"""POST /daemon/task_subscribe: subscribe the operator's nodes to a task, one signed Sui transaction.

The node named by ``node_badge_id`` (a badge the operator does not hold is 404) or ``node_small_id``, else
all the operator's nodes. ``price_per_compute_unit`` is the price of ONE compute unit (the chain's price per
million is 1,000,000 times it; a product beyond u64 is refused); the upstream daemon's
``price_per_one_million_compute_units`` is accepted instead. ``max_num_compute_units`` (1..1,000,000) is kept
with the subscription and bounds the stacks sold from it. ``gas``, ``gas_budget``, ``gas_price`` go to the
chain client. A failed submission is 500 ``{"error": "Failed to submit node task subscription tx"}``.
"""

from typing import Annotated

from nodeplane.api import documented, handler, http_resolver, tenant
from nodeplane.network import daemon
from nodeplane.network.models.daemon import TaskRequest, TxDigest

from aws_lambda_powertools.event_handler.openapi.params import Body

app = http_resolver("daemon", failure="Failed to submit node task subscription tx")


@app.post(
    "/daemon/task_subscribe",
    summary="Subscribe nodes to a task",
    tags=["daemon"],
    description=__doc__,
    responses=documented(
        "daemon", 200, "Successfully submitted task subscription transaction", 400, 403, 404, 409, 422
    ),
)
def task_subscribe(request: Annotated[TaskRequest, Body()]) -> TxDigest:
    digest = daemon.subscribe(
        tenant(app),
        request.task_small_id,
        request.price(),
        request.node_small_id,
        update=False,
        node_badge_id=request.node_badge_id,
        max_num_compute_units=request.max_num_compute_units,
        gas=request.gas_options(),
    )
    return TxDigest(tx_digest=digest)


lambda_handler = handler(app)
