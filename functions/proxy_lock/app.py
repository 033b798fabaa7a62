"""POST /proxy/v1/nodes/lock: lock compute units on a confidential node and get its public key (atoma-sdk).

The body is atoma-sdk's ``NodesCreateLockResponse``, field for field; the lock itself travels in headers
(``X-Lock-Id``, ``X-Lock-Units``, ``X-Lock-Expires-At`` in epoch milliseconds) so the client can hand the lock
id to the node, whose usage report then consumes exactly that lock instead of waiting for it to expire.
503 ``SERVICE_UNAVAILABLE`` when no node serves the model with confidential compute; 500
``INTERNAL_SERVER_ERROR`` when a purchase or the chosen node's key fails; 402 when the balance cannot pay.
"""

from typing import Annotated

from nodeplane.api import documented, handler, http_resolver, request_key, tenant
from nodeplane.network.locks import proxy_api
from nodeplane.network.models.proxy import NodesCreateLockRequest, NodesCreateLockResponse

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

app = http_resolver("atoma")


@app.post(
    "/proxy/v1/nodes/lock",
    summary="Lock compute units on a confidential-compute node",
    tags=["proxy"],
    description=__doc__,
    responses=documented(
        "atoma",
        200,
        "The node's public key and the stack; the lock itself in the X-Lock-* headers",
        400,
        402,
        422,
        429,
        503,
        headers={
            "X-Lock-Id": "The lock's id: name it in the node's usage report (data.lock_id) to consume it",
            "X-Lock-Units": "Compute units the lock holds",
            "X-Lock-Expires-At": "When the lock expires, in epoch milliseconds",
        },
    ),
)
def nodes_create_lock(request: Annotated[NodesCreateLockRequest, Body()]) -> Response[NodesCreateLockResponse]:
    grant = proxy_api.lock(
        tenant(app), request.model, request.max_num_tokens, request.timeout, request_id=request_key(app)
    )
    body = NodesCreateLockResponse(
        public_key=grant.public_key,
        node_small_id=grant.node_small_id,
        stack_small_id=grant.stack_small_id,
        stack_entry_digest=grant.stack_entry_digest,
    )
    headers = {
        "X-Lock-Id": grant.lock_id,
        "X-Lock-Units": str(grant.units),
        "X-Lock-Expires-At": str(int(grant.expires_at)),
    }
    return Response(status_code=200, content_type="application/json", body=body, headers=headers)


lambda_handler = handler(app)
