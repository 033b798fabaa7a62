"""GET /daemon/subscriptions: the task subscriptions of the operator's nodes (``?node_small_id=`` for one), each
with its price per one million compute units and the largest stack it accepts (``max_num_compute_units``)."""

from typing import Annotated

from nodeplane.api import documented, handler, http_resolver, tenant
from nodeplane.network import daemon
from nodeplane.network.models.daemon import U64_MAX, Subscription

from aws_lambda_powertools.event_handler.openapi.params import Query

app = http_resolver("daemon")


@app.get(
    "/daemon/subscriptions",
    summary="List subscriptions",
    tags=["daemon"],
    description=__doc__,
    responses=documented("daemon", 200, "The subscriptions", 403, 404, 422),
)
def list_subscriptions(node_small_id: Annotated[int | None, Query(ge=1, le=U64_MAX)] = None) -> list[Subscription]:
    return [Subscription.model_validate(s) for s in daemon.subscriptions(tenant(app), node_small_id)]


lambda_handler = handler(app)
