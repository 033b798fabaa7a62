"""POST /daemon/keys: import the operator's Sui key (stored encrypted, never returned)."""

from typing import Annotated

from nodeplane.api import documented, handler, http_resolver, tenant
from nodeplane.network import operators
from nodeplane.network.models.daemon import KeyImport, KeyImported

from aws_lambda_powertools.event_handler.openapi.params import Body

app = http_resolver("daemon")


@app.post(
    "/daemon/keys",
    status_code=201,
    summary="Import the operator key",
    tags=["daemon"],
    description=__doc__,
    responses=documented("daemon", 201, "The key's Sui address", 400, 409, 422),
)
def import_key(request: Annotated[KeyImport, Body()]) -> KeyImported:
    return KeyImported(sui_address=operators.import_key(tenant(app), request.keystore))


lambda_handler = handler(app)
