"""POST /daemon/claim_funds: claim the funds of settled tickets (one transaction for those not claimed yet)."""

from typing import Annotated, Any

from nodeplane.api import handler, http_resolver, tenant
from nodeplane.network.settlement import operator_api

from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, Field, StrictInt

app = http_resolver("daemon")

U64 = Annotated[StrictInt, Field(ge=0, le=2**64 - 1)]


class ClaimFundsRequest(BaseModel):
    stack_small_ids: Annotated[list[U64], Field(min_length=1, max_length=50)]
    node_small_id: U64 | None = None


@app.post("/daemon/claim_funds", summary="Claim funds of settled stacks", tags=["daemon"])
def claim_funds(request: Annotated[ClaimFundsRequest, Body()]) -> dict[str, Any]:
    # {"tx_digest": …} when one transaction claimed them all, {"tx_digests": […]} when some were claimed before
    return operator_api.claim_funds(tenant(app), request.stack_small_ids, request.node_small_id)


lambda_handler = handler(app)
