"""POST /daemon/nodes/{node_small_id}/public_key: commit the node's X25519 key for confidential compute, at
the network's current key rotation (one signed Sui transaction). The node is named by its integer small id."""

from typing import Annotated

from nodeplane.api import documented, handler, http_resolver, tenant
from nodeplane.network import daemon
from nodeplane.network.models.daemon import U64_MAX, PublicKey, TxDigest

from aws_lambda_powertools.event_handler.openapi.params import Body, Path

app = http_resolver("daemon")


@app.post(
    "/daemon/nodes/<node_small_id>/public_key",
    summary="Publish a node's public key",
    tags=["daemon"],
    description=__doc__,
    responses=documented("daemon", 200, "The key commitment's transaction", 400, 403, 404, 409, 422),
)
def publish(node_small_id: Annotated[int, Path(ge=0, le=U64_MAX)], request: Annotated[PublicKey, Body()]) -> TxDigest:
    digest = daemon.publish_public_key(tenant(app), node_small_id, request.public_key, request.device_type)
    return TxDigest(tx_digest=digest)


lambda_handler = handler(app)
