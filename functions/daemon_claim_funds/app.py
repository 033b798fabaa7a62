"""POST /daemon/claim_funds: claim the funds of settled tickets (one transaction for those not claimed yet)."""

from typing import Annotated

from nodeplane.api import documented, handler, http_resolver, tenant
from nodeplane.network.models.daemon import ClaimFundsRequest, TxDigest, TxDigests, claim_result
from nodeplane.network.settlement import operator_api

from aws_lambda_powertools.event_handler.openapi.params import Body

app = http_resolver("daemon")


@app.post(
    "/daemon/claim_funds",
    summary="Claim funds of settled stacks",
    tags=["daemon"],
    description=__doc__,
    responses=documented("daemon", 200, "The claim transaction(s)", 400, 403, 404, 409, 422),
)
def claim_funds(request: Annotated[ClaimFundsRequest, Body()]) -> TxDigest | TxDigests:
    # {"tx_digest": …} when one transaction claimed them all, {"tx_digests": […]} when some were claimed before
    return claim_result(operator_api.claim_funds(tenant(app), request.stack_small_ids, request.node_small_id))


lambda_handler = handler(app)
