"""POST /daemon/attestations: submit the operator's nodes' attestations for sampled settlements."""

from typing import Annotated

from nodeplane.api import handler, http_resolver, tenant
from nodeplane.network.settlement import operator_api

from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, Field, StrictInt

app = http_resolver("daemon")

U64 = Annotated[StrictInt, Field(ge=0, le=2**64 - 1)]


class AttestationsRequest(BaseModel):
    stack_small_ids: Annotated[list[U64], Field(min_length=1, max_length=50)]
    node_small_id: U64 | None = None


class TxDigests(BaseModel):
    tx_digests: list[str]


@app.post("/daemon/attestations", summary="Submit stack settlement attestations", tags=["daemon"])
def submit_attestations(request: Annotated[AttestationsRequest, Body()]) -> TxDigests:
    digests = operator_api.submit_attestations(tenant(app), request.stack_small_ids, request.node_small_id)
    return TxDigests(tx_digests=digests)


lambda_handler = handler(app)
