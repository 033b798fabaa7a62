"""POST /proxy/v1/nodes: a node registers its public address, signed with its Sui key (no bearer auth).

The signature covers BLAKE2b-256 of the canonical JSON of ``data`` (node_small_id, public_address, country,
then ``timestamp`` when sent). A body that does not parse or lacks a field, a bad signature or one that is not
the node's answer 400 ``InvalidBody``; an unknown node 404. With a ``timestamp`` (Unix seconds), a registration
must be newer than the last accepted one; an operator can require timestamps (``/daemon/registration_policy``).
"""

from typing import Annotated

from nodeplane.api import documented, handler, http_resolver
from nodeplane.network import registration
from nodeplane.network.models.proxy import NodesCreateRequest, NodesCreateResponse

from aws_lambda_powertools.event_handler.openapi.params import Body

app = http_resolver("atoma", invalid=400, invalid_code="InvalidBody")


@app.post(
    "/proxy/v1/nodes",
    summary="Register a node's public address",
    tags=["proxy"],
    description=__doc__,
    responses=documented("atoma", 200, "The address is recorded", 400, 404),
)
def nodes_create(request: Annotated[NodesCreateRequest, Body()]) -> NodesCreateResponse:
    data = request.data
    registration.register(
        registration.Assignment(data.node_small_id, data.public_address, data.country, data.timestamp),
        request.signature,
    )
    return NodesCreateResponse(message="Success")


lambda_handler = handler(app)
