"""POST /v1/node/self-register: a machine joins the pool with a one-time register token (no user auth)."""

from typing import Annotated

from nodeplane.api import documented, handler, http_resolver
from nodeplane.pool import nodes
from nodeplane.pool.models.nodes import NodeSelfRegisterRequest, NodeSelfRegisterResponse

from aws_lambda_powertools.event_handler.openapi.params import Body

app = http_resolver(invalid=400)


@app.post(
    "/v1/node/self-register",
    status_code=201,
    summary="Self-register a node",
    tags=["nodes"],
    description=__doc__,
    responses=documented("problem", 201, "The node joined the pool", 400, 401, 409),
)
def self_register_node(request: Annotated[NodeSelfRegisterRequest, Body()]) -> NodeSelfRegisterResponse:
    return NodeSelfRegisterResponse.model_validate(nodes.self_register(request))


lambda_handler = handler(app)
