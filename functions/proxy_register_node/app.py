"""POST /proxy/v1/nodes: a node registers its public address, signed with its Sui key (no bearer auth)."""

from typing import Annotated

from nodeplane.api import handler, http_resolver
from nodeplane.network import registration
from nodeplane.network.models.proxy import NodesCreateRequest, NodesCreateResponse

from aws_lambda_powertools.event_handler.openapi.params import Body

app = http_resolver("atoma")


@app.post("/proxy/v1/nodes", summary="Register a node's public address", tags=["proxy"])
def nodes_create(request: Annotated[NodesCreateRequest, Body()]) -> NodesCreateResponse:
    data = request.data
    registration.register_public_address(data.node_small_id, data.public_address, data.country, request.signature)
    return NodesCreateResponse(message="Success")


lambda_handler = handler(app)
