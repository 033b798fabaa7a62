"""POST /v1/clusters: create a cluster; the nodes named in it become ADDED."""

from typing import Annotated

from nodeplane.api import documented, handler, http_resolver, tenant
from nodeplane.pool import clusters
from nodeplane.pool.models.clusters import ClusterCreateRequest, ClusterCreateResponse

from aws_lambda_powertools.event_handler.openapi.params import Body

app = http_resolver(invalid=400)


@app.post(
    "/v1/clusters",
    status_code=201,
    summary="Create a cluster",
    tags=["clusters"],
    description=__doc__,
    responses=documented("problem", 201, "The cluster was created", 400, 404, 409),
)
def create_cluster(request: Annotated[ClusterCreateRequest, Body()]) -> ClusterCreateResponse:
    return ClusterCreateResponse(cluster_id=clusters.create(tenant(app), request))


lambda_handler = handler(app)
