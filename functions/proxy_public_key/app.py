"""POST /proxy/v1/encryption/public-key: the older form of the lock (`select_node_public_key`), default tokens."""

from typing import Annotated

from nodeplane.api import handler, http_resolver, request_key, tenant
from nodeplane.api.envelopes import ATOMA_UNAVAILABLE
from nodeplane.network.locks import proxy_api
from nodeplane.network.models.proxy import SelectNodePublicKeyRequest, SelectNodePublicKeyResponse

from aws_lambda_powertools.event_handler.openapi.params import Body

app = http_resolver("atoma")


@app.post(
    "/proxy/v1/encryption/public-key",
    summary="Select a confidential node's public key",
    tags=["proxy"],
    responses=ATOMA_UNAVAILABLE,
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
