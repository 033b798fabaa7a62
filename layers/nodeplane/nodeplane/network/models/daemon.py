"""Wire models of the operator API (`/daemon`), field for field as the node daemon names them."""

from typing import Annotated

from pydantic import Field, StrictInt, StrictStr

from nodeplane.errors import BadRequest
from nodeplane.network.models import U64, Model, StrictModel

# --- keys and nodes ------------------------------------------------------------------------------------------------


class KeyImport(Model):
    keystore: Annotated[StrictStr, Field(min_length=40, max_length=200, description="base64 flag||key or suiprivkey1…")]


class KeyImported(Model):
    sui_address: str


class NodeRegistered(Model):
    tx_digest: str
    node_small_id: int
    node_badge_id: str | None = None


class PublicKey(Model):
    public_key: Annotated[StrictStr, Field(max_length=64, description="base64 of the 32-byte X25519 key")]
    device_type: Annotated[StrictInt, Field(ge=0, le=15999)] = 0


class TxDigest(Model):
    tx_digest: str


# --- task subscriptions --------------------------------------------------------------------------------------------


class TaskRequest(StrictModel):
    """The node daemon's fields; gas settings are accepted (the chain client picks gas itself)."""

    task_small_id: Annotated[U64, Field(ge=1)]
    node_small_id: Annotated[U64, Field(ge=1)] | None = None
    node_badge_id: Annotated[StrictStr, Field(max_length=128)] | None = None
    price_per_one_million_compute_units: U64 | None = None
    price_per_compute_unit: Annotated[U64, Field(description="older name of the price")] | None = None
    max_num_compute_units: U64 | None = None
    gas: Annotated[StrictStr, Field(max_length=128)] | None = None
    gas_budget: U64 | None = None
    gas_price: U64 | None = None

    def price(self) -> int:
        value = self.price_per_one_million_compute_units
        if value is None:
            value = self.price_per_compute_unit
        if value is None:
            raise BadRequest("price_per_one_million_compute_units is required")
        return value


# --- settlement ----------------------------------------------------------------------------------------------------


class StacksRequest(Model):
    """Stacks of the operator's nodes, optionally of one node."""

    stack_small_ids: Annotated[list[U64], Field(min_length=1, max_length=50)]
    node_small_id: U64 | None = None


class ClaimStacksRequest(StacksRequest):
    num_claimed_compute_units: Annotated[list[U64], Field(min_length=1, max_length=50)] | None = None


class AttestationsRequest(StacksRequest):
    pass


class ClaimFundsRequest(StacksRequest):
    pass


class TxDigests(Model):
    tx_digests: list[str]


class ClaimedStack(Model):
    """A settlement ticket as the node daemon's ClaimedStack names its fields."""

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
