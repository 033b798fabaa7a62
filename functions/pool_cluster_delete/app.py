"""DELETE /v1/cluster/{cluster_id}: delete a cluster and release its nodes to the pool."""

from typing import Annotated

from nodeplane.api import Id, handler, http_resolver, problems, tenant
from nodeplane.pool import clusters
from nodeplane.pool.models.clusters import ClusterDeleteResponse

from aws_lambda_powertools.event_handler.openapi.params import Query

app = http_resolver()


@app.delete("/v1/cluster/<cluster_id>", summary="Delete a cluster", tags=["clusters"], responses=problems(404, 409))
def delete_cluster(cluster_id: Id, propagate: Annotated[bool | None, Query()] = None) -> ClusterDeleteResponse:
    released = clusters.delete(tenant(app), cluster_id)
    return ClusterDeleteResponse(cluster_id=cluster_id, node_ids=released)


lambda_handler = handler(app)
