"""GET /v1/cluster/{cluster_id}."""

from nodeplane.api import Id, handler, http_resolver, problems, tenant
from nodeplane.pool import clusters
from nodeplane.pool.models.clusters import ClusterResponse

app = http_resolver()


@app.get("/v1/cluster/<cluster_id>", summary="Describe a cluster", tags=["clusters"], responses=problems(404))
def describe_cluster(cluster_id: Id) -> ClusterResponse:
    return ClusterResponse.model_validate({"cluster": clusters.describe(tenant(app), cluster_id)})


lambda_handler = handler(app)
