"""GET (and POST) /proxy/v1/encryption/public-key: the older form of the lock (``select_node_public_key``).

The seed's client sends ``GET`` with a JSON body ``{"model_name": "..."}``; POST with the same body is kept.
Both lock the default number of tokens on a confidential node of the model and answer its public key (base64),
its small id, the stack and the purchase digest (null when an existing stack was reused). 503 when no node
serves the model with confidential compute; 500 ``INTERNAL_SERVER_ERROR`` when a purchase or the chosen node's
key fails.
"""

from typing import Annotated

from nodeplane.api import documented, handler, http_resolver, request_key, tenant
from nodeplane.network.locks import proxy_api
from nodeplane.network.models.proxy import SelectNodePublicKeyRequest, SelectNodePublicKeyResponse

from aws_lambda_powertools.event_handler.openapi.params import Body

app = http_resolver("atoma")


@app.route(
    "/proxy/v1/encryption/public-key",
    method=["GET", "POST"],
    summary="Select a confidential node's public key",
    tags=["proxy"],
    description=__doc__,
    responses=documented("atoma", 200, "The node's public key and the stack", 400, 402, 422, 429, 503),
)
def select_node_public_key(request: Annotated[SelectNodePublicKeyRequest, Body()]) -> SelectNodePublicKeyResponse:
    grant = proxy_api.lock(tenant(app), request.model_name, request_id=request_key(app))
    return SelectNodePublicKeyResponse(
        public_key=grant.public_key,
        node_small_id=grant.node_small_id,
        stack_entry_digest=grant.stack_entry_digest,
        stack_small_id=grant.stack_small_id,
    )


lambda_handler = handler(app)
