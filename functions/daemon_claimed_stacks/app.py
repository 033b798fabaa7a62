"""GET /daemon/claimed_stacks: the claimed stacks (settlement tickets) of all the operator's nodes.

A failure to read them is 500 ``{"error": "Failed to get node claimed stacks"}``.
"""

from nodeplane.api import documented, handler, http_resolver, tenant
from nodeplane.network.models.daemon import ClaimedStack
from nodeplane.network.settlement import tickets

app = http_resolver("daemon", failure="Failed to get node claimed stacks")


@app.get(
    "/daemon/claimed_stacks",
    summary="Claimed stacks of all my nodes",
    tags=["daemon"],
    description=__doc__,
    responses=documented("daemon", 200, "Successfully retrieved claimed stacks"),
)
def claimed_stacks() -> list[ClaimedStack]:
    return [ClaimedStack.model_validate(s) for s in tickets.claimed_stacks(tenant(app))]


lambda_handler = handler(app)
