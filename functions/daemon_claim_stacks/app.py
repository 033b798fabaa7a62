"""POST /daemon/claim_stacks: claim confidential stacks, or start settling sampling-consensus stacks."""

from typing import Annotated, Any

from nodeplane.api import handler, http_resolver, tenant
from nodeplane.network.settlement import operator_api

from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, Field, StrictInt

app = http_resolver("daemon")

U64 = Annotated[StrictInt, Field(ge=0, le=2**64 - 1)]


class ClaimStacksRequest(BaseModel):
    stack_small_ids: Annotated[list[U64], Field(min_length=1, max_length=50)]
    node_small_id: U64 | None = None
    num_claimed_compute_units: Annotated[list[U64], Field(min_length=1, max_length=50)] | None = None


@app.post("/daemon/claim_stacks", summary="Claim stacks", tags=["daemon"])
def claim_stacks(request: Annotated[ClaimStacksRequest, Body()]) -> dict[str, Any]:
    # {"tx_digest": …} for one transaction, {"tx_digests": […]} when sampling-consensus stacks settle one by one
    return operator_api.claim_stacks(
        tenant(app), request.stack_small_ids, request.node_small_id, request.num_claimed_compute_units
    )


lambda_handler = handler(app)
