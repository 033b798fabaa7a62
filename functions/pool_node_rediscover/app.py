"""POST /v1/node/{node_id}/discover: run SSH discovery again for a self-managed node."""

from nodeplane.api import Id, handler, http_resolver, problems, tenant
from nodeplane.pool import nodes
from nodeplane.pool.models.nodes import NodeImportResponse

app = http_resolver()


@app.post(
    "/v1/node/<node_id>/discover",
    status_code=202,
    summary="Discover a self-managed node again",
    tags=["nodes"],
    responses=problems(404, 409),
)
def rediscover_node(node_id: Id) -> NodeImportResponse:
    nodes.rediscover(tenant(app), node_id)
    return NodeImportResponse(node_ids=[node_id], total=1)


lambda_handler = handler(app)
