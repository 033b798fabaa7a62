"""DELETE /v1/cluster/{cluster_id}/nodes/{node_id}: the node goes back to the pool."""

from nodeplane.api import Id, handler, http_resolver, problems, tenant
from nodeplane.pool import clusters
from nodeplane.pool.models.clusters import ClusterNodeRemoveResponse

app = http_resolver()


@app.delete(
    "/v1/cluster/<cluster_id>/nodes/<node_id>",
    status_code=202,
    summary="Remove a node from a cluster",
    tags=["clusters"],
    responses=problems(404, 409),
)
def delete_node_from_cluster(cluster_id: Id, node_id: Id) -> ClusterNodeRemoveResponse:
    clusters.remove_node(tenant(app), cluster_id, node_id)
    return ClusterNodeRemoveResponse(node_id=node_id)


lambda_handler = handler(app)
