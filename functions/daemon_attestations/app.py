"""POST /daemon/attestations: submit the operator's nodes' attestations for sampled settlements."""

from typing import Annotated

from nodeplane.api import documented, handler, http_resolver, tenant
from nodeplane.network.models.daemon import AttestationsRequest, TxDigests
from nodeplane.network.settlement import operator_api

from aws_lambda_powertools.event_handler.openapi.params import Body

app = http_resolver("daemon")


@app.post(
    "/daemon/attestations",
    summary="Submit stack settlement attestations",
    tags=["daemon"],
    description=__doc__,
    responses=documented("daemon", 200, "The attestation transactions", 400, 403, 404, 409, 422),
)
def submit_attestations(request: Annotated[AttestationsRequest, Body()]) -> TxDigests:
    digests = operator_api.submit_attestations(tenant(app), request.stack_small_ids, request.node_small_id)
    return TxDigests(tx_digests=digests)


lambda_handler = handler(app)
