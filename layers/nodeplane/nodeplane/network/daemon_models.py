"""Wire models of the operator API (`/daemon`) that several handlers share."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from nodeplane.errors import BadRequest


class TaskRequest(BaseModel):
    """The seed's fields; gas settings are accepted (the chain client picks gas itself)."""

    model_config = ConfigDict(strict=True, defer_build=True)

    task_small_id: Annotated[StrictInt, Field(ge=1)]
    node_small_id: Annotated[StrictInt, Field(ge=1)] | None = None
    node_badge_id: StrictStr | None = None
    price_per_one_million_compute_units: Annotated[StrictInt, Field(ge=0)] | None = None
    price_per_compute_unit: Annotated[StrictInt, Field(ge=0, description="older name of the price")] | None = None
    max_num_compute_units: Annotated[StrictInt, Field(ge=0)] | None = None
    gas: StrictStr | None = None
    gas_budget: Annotated[StrictInt, Field(ge=0)] | None = None
    gas_price: Annotated[StrictInt, Field(ge=0)] | None = None

    def price(self) -> int:
        value = self.price_per_one_million_compute_units
        if value is None:
            value = self.price_per_compute_unit
        if value is None:
            raise BadRequest("price_per_one_million_compute_units is required")
        return value


class TxDigest(BaseModel):
    model_config = ConfigDict(defer_build=True)  # built by the handlers that answer with it

    tx_digest: str


class ClaimedStack(BaseModel):
    """A claimed stack as seed 004 of the daemon API names its fields."""

    model_config = ConfigDict(defer_build=True)

    stack_small_id: int
    stack_id: str
    selected_node_id: int
    num_claimed_compute_units: int
    settlement_time: str
    attestation_status: str
    requested_attestation_nodes: str
    received_attestations: int
    required_attestations: int
    settlement_complete: bool
