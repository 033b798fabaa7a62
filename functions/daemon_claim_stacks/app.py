"""POST /daemon/claim_stacks: claim confidential stacks, or start settling sampling-consensus stacks."""

from typing import Annotated

from nodeplane.api import documented, handler, http_resolver, tenant
from nodeplane.network.models.daemon import ClaimStacksRequest, TxDigest, TxDigests, claim_result
from nodeplane.network.settlement import operator_api

from aws_lambda_powertools.event_handler.openapi.params import Body

app = http_resolver("daemon")


@app.post(
    "/daemon/claim_stacks",
    summary="Claim stacks",
    tags=["daemon"],
    description=__doc__,
    responses=documented("daemon", 200, "The claim transaction(s)", 400, 403, 404, 409, 422),
)
def claim_stacks(request: Annotated[ClaimStacksRequest, Body()]) -> TxDigest | TxDigests:
    # {"tx_digest": …} for one transaction, {"tx_digests": […]} when sampling-consensus stacks settle one by one
    return claim_result(
        operator_api.claim_stacks(
            tenant(app), request.stack_small_ids, request.node_small_id, request.num_claimed_compute_units
        )
    )


lambda_handler = handler(app)
