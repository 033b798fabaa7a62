"""POST /v1/cluster/{cluster_id}/nodes: add AVAILABLE nodes to a cluster."""

from typing import Annotated

from nodeplane.api import Id, handler, http_resolver, problems, tenant
from nodeplane.pool import clusters
from nodeplane.pool.models.clusters import ClusterAddNodeRequest, ClusterNodesResponse

from aws_lambda_powertools.event_handler.openapi.params import Body

app = http_resolver()


@app.post(
    "/v1/cluster/<cluster_id>/nodes",
    status_code=201,
    summary="Add nodes to a cluster",
    tags=["clusters"],
    responses=problems(400, 404, 409, 422),
)
def add_nodes(cluster_id: Id, request: Annotated[ClusterAddNodeRequest, Body()]) -> ClusterNodesResponse:
    pairs = [(n.node_id, n.node_role) for n in request.nodes_to_add]
    return ClusterNodesResponse.model_validate(clusters.add_nodes(tenant(app), cluster_id, pairs))


lambda_handler = handler(app)
