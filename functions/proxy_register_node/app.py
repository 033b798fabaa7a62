"""POST /proxy/v1/nodes: a node registers its public address, signed with its Sui key (no bearer auth)."""

from typing import Annotated

from nodeplane.api import handler, http_resolver
from nodeplane.network import registration

from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

app = http_resolver("atoma")


class NodePublicAddressAssignment(BaseModel):
    model_config = ConfigDict(strict=True)

    node_small_id: Annotated[StrictInt, Field(ge=0, le=2**64 - 1)]
    public_address: Annotated[StrictStr, Field(max_length=2048)]
    country: Annotated[StrictStr, Field(max_length=64)]


class NodesCreateRequest(BaseModel):
    data: NodePublicAddressAssignment
    signature: Annotated[StrictStr, Field(max_length=512)]


class NodesCreateResponse(BaseModel):
    message: str


@app.post("/proxy/v1/nodes", summary="Register a node's public address", tags=["proxy"])
def nodes_create(request: Annotated[NodesCreateRequest, Body()]) -> NodesCreateResponse:
    data = request.data
    registration.register_public_address(data.node_small_id, data.public_address, data.country, request.signature)
    return NodesCreateResponse(message="Success")


lambda_handler = handler(app)
