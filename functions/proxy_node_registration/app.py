"""POST /proxy/node/registration: the first form of node registration (no bearer auth).

The body is the bare ``{node_small_id, public_address, country}`` (a ``timestamp`` may follow); the node's Sui
signature over BLAKE2b-256 of the raw body bytes travels in the ``X-Signature`` header. 400 ``MissingHeader``
without the header, ``InvalidHeader`` when it is not a Sui signature, ``InvalidBody`` when the body does not
parse, the signature does not verify or is not the node's; 404 for an unknown node; 200 ``null`` on success.
The same checks and the same node record as ``POST /proxy/v1/nodes``.
"""

from typing import Annotated, Any

from nodeplane.api import documented, handler, http_resolver
from nodeplane.network import registration
from nodeplane.network.models.proxy import LEGACY_REGISTRATION_EXAMPLE

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header

app = http_resolver("atoma", invalid=400, invalid_code="InvalidHeader", raw_body="InvalidBody")

BODY_SCHEMA = {
    "type": "object",
    "required": ["node_small_id", "public_address", "country"],
    "properties": {
        "node_small_id": {"type": "integer", "minimum": 0, "maximum": 2**64 - 1},
        "public_address": {"type": "string", "maxLength": 2048, "description": "an http or https URL"},
        "country": {"type": "string", "description": "ISO 3166-1 alpha-2 code"},
        "timestamp": {"type": "integer", "minimum": 0, "description": "Unix seconds; newer than the last accepted"},
    },
}


def raw_body() -> bytes:
    # the resolver has undone API Gateway's base64 and refused a body that is not UTF-8 (InvalidBody), so the
    # text encodes back to exactly the bytes the node signed
    return str(app.current_event.get("body") or "").encode()


@app.post(
    "/proxy/node/registration",
    summary="Register a node's public address (first form, signature in X-Signature)",
    tags=["proxy"],
    description=__doc__,
    responses=documented("atoma", 200, "The address is recorded; the body is JSON null", 400, 404),
    openapi_extensions={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": BODY_SCHEMA, "example": LEGACY_REGISTRATION_EXAMPLE}},
        }
    },
)
def node_registration(
    x_signature: Annotated[
        str | None, Header(alias="X-Signature", max_length=512, description="base64 Sui signature of the raw body")
    ] = None,
) -> Response[Any]:
    registration.register_legacy(raw_body(), x_signature)
    return Response(status_code=200, content_type="application/json", body="null")


lambda_handler = handler(app)
