"""GET /daemon/claimed_stacks/{id}: the settlement tickets of one of the operator's nodes, as ClaimedStack."""

from nodeplane.api import handler, http_resolver, small_id, tenant
from nodeplane.network.models.daemon import ClaimedStack
from nodeplane.network.settlement import tickets

app = http_resolver("daemon")


@app.get("/daemon/claimed_stacks/<node_small_id>", summary="Claimed stacks of one node", tags=["daemon"])
def node_claimed_stacks(node_small_id: str) -> list[ClaimedStack]:
    stacks = tickets.claimed_stacks(tenant(app), small_id(node_small_id, "node_small_id"))
    return [ClaimedStack.model_validate(s) for s in stacks]


lambda_handler = handler(app)
