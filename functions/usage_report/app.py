"""POST /proxy/v1/stacks/usage: a node reports compute units spent on a stack, signed with its Sui key (no bearer)."""

from typing import Annotated

from nodeplane.api import handler, http_resolver
from nodeplane.network import usage

from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

app = http_resolver("atoma")

U64 = Annotated[StrictInt, Field(ge=0, le=2**64 - 1)]


class UsageData(BaseModel):
    model_config = ConfigDict(strict=True)

    stack_small_id: U64
    node_small_id: U64
    num_compute_units: U64
    lock_id: Annotated[StrictStr, Field(min_length=1, max_length=128)] | None = None
    request_id: Annotated[StrictStr, Field(min_length=1, max_length=128)]


class UsageReportRequest(BaseModel):
    data: UsageData
    signature: Annotated[StrictStr, Field(max_length=512)]


class UsageReportResponse(BaseModel):
    stack_small_id: int
    num_compute_units: int
    already_computed_units: int
    locked_compute_units: int
    claim_requested: bool
    replayed: bool


@app.post("/proxy/v1/stacks/usage", summary="Report compute units used on a stack", tags=["proxy"])
def report_usage(request: Annotated[UsageReportRequest, Body()]) -> UsageReportResponse:
    d = request.data
    state = usage.report_usage(
        d.stack_small_id, d.node_small_id, d.num_compute_units, d.lock_id, d.request_id, request.signature
    )
    return UsageReportResponse.model_validate(state)


lambda_handler = handler(app)
