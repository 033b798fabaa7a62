"""POST /v1/node/import/ssh: add a self-managed server; it is discovered over SSH in the background."""

from typing import Annotated

from nodeplane.api import documented, handler, http_resolver, tenant
from nodeplane.pool import nodes
from nodeplane.pool.models.nodes import NodeImportResponse, NodeImportSshRequest

from aws_lambda_powertools.event_handler.openapi.params import Body

app = http_resolver(invalid=400)


@app.post(
    "/v1/node/import/ssh",
    status_code=201,
    summary="Import a self-managed node over SSH",
    tags=["nodes"],
    description=__doc__,
    responses=documented("problem", 201, "Nodes successfully imported", 400, 409),
)
def import_ssh(request: Annotated[NodeImportSshRequest, Body()]) -> NodeImportResponse:
    node_id = nodes.import_ssh(tenant(app), request)
    return NodeImportResponse(node_ids=[node_id], total=1)


lambda_handler = handler(app)
