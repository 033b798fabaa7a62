"""GET /daemon/claimed_stacks: the settlement tickets of all the operator's nodes, as ClaimedStack."""

from nodeplane.api import handler, http_resolver, tenant
from nodeplane.network.models.daemon import ClaimedStack
from nodeplane.network.settlement import tickets

app = http_resolver("daemon")


@app.get("/daemon/claimed_stacks", summary="Claimed stacks of all my nodes", tags=["daemon"])
def claimed_stacks() -> list[ClaimedStack]:
    return [ClaimedStack.model_validate(s) for s in tickets.claimed_stacks(tenant(app))]


lambda_handler = handler(app)
