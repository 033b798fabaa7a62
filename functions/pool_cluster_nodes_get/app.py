"""GET /v1/cluster/{cluster_id}/nodes."""

from nodeplane.api import Id, handler, http_resolver, problems, tenant
from nodeplane.pool import clusters
from nodeplane.pool.models.clusters import ClusterNodesResponse

app = http_resolver()


@app.get(
    "/v1/cluster/<cluster_id>/nodes",
    summary="The nodes of a cluster",
    tags=["clusters"],
    responses=problems(404),
)
def get_nodes(cluster_id: Id) -> ClusterNodesResponse:
    return ClusterNodesResponse.model_validate(clusters.nodes_of(tenant(app), cluster_id))


lambda_handler = handler(app)
