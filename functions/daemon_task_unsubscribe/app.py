"""POST /daemon/task_unsubscribe: one signed Sui transaction for the operator's nodes (all when none is named)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from nodeplane.api import handler, http_resolver, tenant
from nodeplane.errors import BadRequest
from nodeplane.network import daemon

app = http_resolver("daemon")


class TaskRequest(BaseModel):
    model_config = ConfigDict(strict=True)

    task_small_id: Annotated[StrictInt, Field(ge=1)]
    node_small_id: Annotated[StrictInt, Field(ge=1)] | None = None
    node_badge_id: StrictStr | None = None
    price_per_one_million_compute_units: Annotated[StrictInt, Field(ge=0)] | None = None
    price_per_compute_unit: Annotated[StrictInt, Field(ge=0, description="older name of the price")] | None = None
    max_num_compute_units: Annotated[StrictInt, Field(ge=0)] | None = None
    gas: StrictStr | None = None
    gas_budget: Annotated[StrictInt, Field(ge=0)] | None = None
    gas_price: Annotated[StrictInt, Field(ge=0)] | None = None


class TxDigest(BaseModel):
    tx_digest: str


@app.post("/daemon/task_unsubscribe", summary="Task unsubscribe", tags=["daemon"])
def task_unsubscribe(request: Annotated[TaskRequest, Body()]) -> TxDigest:
    KIND = "unsubscribe"
    if KIND == "unsubscribe":
        return TxDigest(tx_digest=daemon.unsubscribe(tenant(app), request.task_small_id, request.node_small_id))
    price = request.price_per_one_million_compute_units
    if price is None:
        price = request.price_per_compute_unit
    if price is None:
        raise BadRequest("price_per_one_million_compute_units is required")
    digest = daemon.subscribe(
        tenant(app), request.task_small_id, price, request.node_small_id, update=KIND == "update_subscription"
    )
    return TxDigest(tx_digest=digest)


lambda_handler = handler(app)
