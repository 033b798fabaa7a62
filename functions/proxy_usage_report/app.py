"""POST /proxy/v1/stacks/usage: a node reports compute units spent on a stack, signed with its Sui key (no bearer)."""

from typing import Annotated

from nodeplane.api import documented, handler, http_resolver
from nodeplane.network import usage
from nodeplane.network.models.proxy import UsageReportRequest, UsageReportResponse

from aws_lambda_powertools.event_handler.openapi.params import Body

app = http_resolver("atoma")


@app.post(
    "/proxy/v1/stacks/usage",
    summary="Report compute units used on a stack",
    tags=["proxy"],
    description=__doc__,
    responses=documented("atoma", 200, "The stack's units after the report", 400, 404, 409, 422),
)
def report_usage(request: Annotated[UsageReportRequest, Body()]) -> UsageReportResponse:
    d = request.data
    state = usage.report_usage(
        d.stack_small_id, d.node_small_id, d.num_compute_units, d.lock_id, d.request_id, request.signature
    )
    return UsageReportResponse.model_validate(state)


lambda_handler = handler(app)
