"""POST /v1/cluster/{cluster_id}/deploy."""

from nodeplane.api import Id, handler, http_resolver, problems, tenant
from nodeplane.pool import clusters
from nodeplane.pool.models.clusters import ClusterDeployResponse

app = http_resolver()


@app.post(
    "/v1/cluster/<cluster_id>/deploy",
    status_code=202,
    summary="Deploy a cluster",
    tags=["clusters"],
    responses=problems(404, 409),
)
def deploy_cluster(cluster_id: Id) -> ClusterDeployResponse:
    clusters.deploy(tenant(app), cluster_id)
    return ClusterDeployResponse(cluster_id=cluster_id)


lambda_handler = handler(app)
