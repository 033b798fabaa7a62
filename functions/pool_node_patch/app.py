"""PATCH /v1/node/{node_id}: update a node's facts, or (no body) a heartbeat; returns a fresh node token.

The node agent calls this with its own access token, people with their JWT: the route is outside the
HttpApi authorizer and checks either kind itself.
"""

from typing import Annotated

from nodeplane.api import Id, claims, handler, http_resolver, problems
from nodeplane.api.auth import bearer, verify_user_token
from nodeplane.errors import Unauthorized
from nodeplane.pool import agents, nodes
from nodeplane.pool.models.nodes import NodePatchRequest, NodePatchResponse

from aws_lambda_powertools.event_handler.openapi.params import Body

app = http_resolver()


def caller_tenant(node_id: str) -> str:
    verified = claims(app).get("sub")
    if verified:
        return str(verified)
    token = bearer(app)
    if not token:
        raise Unauthorized("a bearer token (user JWT or node access token) is required")
    if token.startswith(agents.NODE_TOKEN_PREFIX):
        return agents.node_of_token(token, node_id)
    return str(verify_user_token(token)["sub"])


@app.patch(
    "/v1/node/<node_id>",
    summary="Patch a node or send a heartbeat",
    tags=["nodes"],
    responses=problems(400, 401, 403, 404, 422),
)
def patch_node(node_id: Id, request: Annotated[NodePatchRequest | None, Body()] = None) -> NodePatchResponse:
    return NodePatchResponse.model_validate(nodes.patch(caller_tenant(node_id), node_id, request))


lambda_handler = handler(app)
