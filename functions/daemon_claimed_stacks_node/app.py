"""GET /daemon/claimed_stacks/{node_small_id}: the claimed stacks (settlement tickets) of one of the operator's
nodes, named by its integer small id (400 for anything else, 404 for another operator's node).

A failure to read them is 500 ``{"error": "Failed to get node claimed stacks"}``.
"""

from typing import Annotated

from nodeplane.api import documented, handler, http_resolver, tenant
from nodeplane.network.models.daemon import U64_MAX, ClaimedStack
from nodeplane.network.settlement import tickets

from aws_lambda_powertools.event_handler.openapi.params import Path

app = http_resolver("daemon", failure="Failed to get node claimed stacks")


@app.get(
    "/daemon/claimed_stacks/<node_small_id>",
    summary="Claimed stacks of one node",
    tags=["daemon"],
    description=__doc__,
    responses=documented("daemon", 200, "Successfully retrieved claimed stacks", 400, 404),
)
def node_claimed_stacks(node_small_id: Annotated[int, Path(ge=0, le=U64_MAX)]) -> list[ClaimedStack]:
    return [ClaimedStack.model_validate(s) for s in tickets.claimed_stacks(tenant(app), node_small_id)]


lambda_handler = handler(app)
