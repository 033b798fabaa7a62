"""PATCH /v1/node/{node_id}: update a node's facts, or (no body) a heartbeat; returns a fresh node token."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body

from nodeplane.api import handler, http_resolver, problems, tenant
from nodeplane.pool import nodes
from nodeplane.pool.models import NodePatchRequest, NodePatchResponse

app = http_resolver()


@app.patch("/v1/node/<node_id>", summary="Patch a node or send a heartbeat", tags=["nodes"],
           responses=problems(400, 404, 422))
def patch_node(node_id: str, request: Annotated[NodePatchRequest | None, Body()] = None) -> NodePatchResponse:
    return NodePatchResponse.model_validate(nodes.patch(tenant(app), node_id, request))


lambda_handler = handler(app)
