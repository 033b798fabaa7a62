"""DELETE /v1/node/{node_id}: remove an AVAILABLE node from the pool."""

from nodeplane.api import Id, handler, http_resolver, problems, tenant
from nodeplane.pool import nodes
from nodeplane.pool.models.nodes import NodeDeleteResponse

app = http_resolver()


@app.delete("/v1/node/<node_id>", summary="Delete a node from the pool", tags=["nodes"], responses=problems(404, 409))
def delete_node(node_id: Id) -> NodeDeleteResponse:
    nodes.delete(tenant(app), node_id)
    return NodeDeleteResponse(node_id=node_id)


lambda_handler = handler(app)
