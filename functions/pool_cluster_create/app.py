"""POST /v1/clusters: create a cluster; the nodes named in it become ADDED."""

from typing import Annotated

from nodeplane.api import handler, http_resolver, problems, tenant
from nodeplane.pool import clusters
from nodeplane.pool.models.clusters import ClusterCreateRequest, ClusterCreateResponse

from aws_lambda_powertools.event_handler.openapi.params import Body

app = http_resolver()


@app.post(
    "/v1/clusters",
    status_code=201,
    summary="Create a cluster",
    tags=["clusters"],
    responses=problems(400, 404, 409, 422),
)
def create_cluster(request: Annotated[ClusterCreateRequest, Body()]) -> ClusterCreateResponse:
    return ClusterCreateResponse(cluster_id=clusters.create(tenant(app), request))


lambda_handler = handler(app)
