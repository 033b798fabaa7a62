"""POST /v1/cluster/{cluster_id}/deploy."""

from nodeplane.api import Id, documented, handler, http_resolver, tenant
from nodeplane.pool import clusters
from nodeplane.pool.models.clusters import ClusterDeployResponse

app = http_resolver()


@app.post(
    "/v1/cluster/<cluster_id>/deploy",
    status_code=202,
    summary="Deploy a cluster",
    tags=["clusters"],
    description=__doc__,
    responses=documented("problem", 202, "Deployment started", 404, 409),
)
def deploy_cluster(cluster_id: Id) -> ClusterDeployResponse:
    clusters.deploy(tenant(app), cluster_id)
    return ClusterDeployResponse(cluster_id=cluster_id)


lambda_handler = handler(app)
