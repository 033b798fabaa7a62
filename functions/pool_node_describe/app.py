"""GET /v1/node/{node_id}: one node, cloud or self-managed."""

from nodeplane.api import Id, handler, http_resolver, problems, tenant
from nodeplane.pool import nodes
from nodeplane.pool.models.nodes import CloudNode, SelfManagedNode

app = http_resolver()


@app.get("/v1/node/<node_id>", summary="Describe a node", tags=["nodes"], responses=problems(404))
def describe_node(node_id: Id) -> CloudNode | SelfManagedNode:
    node = nodes.describe(tenant(app), node_id)
    model = CloudNode if node["node_type"] == "CLOUD" else SelfManagedNode
    return model.model_validate(node)


lambda_handler = handler(app)
