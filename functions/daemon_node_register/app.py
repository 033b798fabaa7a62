"""POST /daemon/nodes/register: register a new node on chain with the operator's key."""

from nodeplane.api import documented, handler, http_resolver, tenant
from nodeplane.network import daemon
from nodeplane.network.models.daemon import NodeRegistered

app = http_resolver("daemon")


@app.post(
    "/daemon/nodes/register",
    summary="Register a node on chain",
    tags=["daemon"],
    description=__doc__,
    responses=documented("daemon", 200, "The registration transaction and the new node", 403),
)
def register_node() -> NodeRegistered:
    return NodeRegistered.model_validate(daemon.register_node(tenant(app)))


lambda_handler = handler(app)
