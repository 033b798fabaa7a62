"""POST /daemon/nodes/{node_small_id}/public_key: commit the node's X25519 key for confidential compute."""

from typing import Annotated

from nodeplane.api import handler, http_resolver, small_id, tenant
from nodeplane.network import daemon
from nodeplane.network.models.daemon import PublicKey, TxDigest

from aws_lambda_powertools.event_handler.openapi.params import Body

app = http_resolver("daemon")


@app.post("/daemon/nodes/<node_small_id>/public_key", summary="Publish a node's public key", tags=["daemon"])
def publish(node_small_id: str, request: Annotated[PublicKey, Body()]) -> TxDigest:
    node = small_id(node_small_id, "node_small_id")
    digest = daemon.publish_public_key(tenant(app), node, request.public_key, request.device_type)
    return TxDigest(tx_digest=digest)


lambda_handler = handler(app)
