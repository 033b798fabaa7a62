"""GET /v1/clusters."""

from typing import Annotated

from nodeplane.api import documented, handler, http_resolver, tenant
from nodeplane.pool import clusters
from nodeplane.pool.models import ClusterStatus
from nodeplane.pool.models.clusters import ClustersListResponse

from aws_lambda_powertools.event_handler.openapi.params import Query

app = http_resolver()


@app.get(
    "/v1/clusters",
    summary="List clusters",
    tags=["clusters"],
    description=__doc__,
    responses=documented("problem", 200, "The caller's clusters", 400, 422),
)
def list_clusters(
    cluster_status: Annotated[ClusterStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
) -> ClustersListResponse:
    page, next_cursor = clusters.list_clusters(tenant(app), cluster_status, limit, cursor)
    return ClustersListResponse.model_validate({"clusters": page, "total": len(page), "next_cursor": next_cursor})


lambda_handler = handler(app)
