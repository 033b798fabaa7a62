"""Wire models of the operator API (`/daemon`), field for field as the node daemon names them."""

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StrictBool, StrictInt, StrictStr

from nodeplane.errors import BadRequest
from nodeplane.network.chainops import GasOptions
from nodeplane.network.models import U64, Model, StrictModel

# --- keys and nodes ------------------------------------------------------------------------------------------------


class KeyImport(Model):
    model_config = ConfigDict(json_schema_extra={"examples": [{"keystore": "suiprivkey1qq..."}]})

    keystore: Annotated[StrictStr, Field(min_length=40, max_length=200, description="base64 flag||key or suiprivkey1…")]


class KeyImported(Model):
    sui_address: str


class NodeRegistered(Model):
    tx_digest: str
    node_small_id: int
    node_badge_id: str | None = None


class PublicKey(Model):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"public_key": "q2Jv2n4tZ3m1d5b8kXhQe0yL7c9u0aF1s2d3f4g5h6I=", "device_type": 0}]
        }
    )

    public_key: Annotated[StrictStr, Field(max_length=64, description="base64 of the 32-byte X25519 key")]
    device_type: Annotated[StrictInt, Field(ge=0, le=15999)] = 0


class TxDigest(Model):
    tx_digest: str


class RegistrationPolicy(StrictModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"require_timestamp": True}]})

    require_timestamp: Annotated[
        StrictBool, Field(description="refuse registrations of my nodes that carry no signed timestamp")
    ]


# --- task subscriptions --------------------------------------------------------------------------------------------


ObjectId = Annotated[StrictStr, Field(pattern=r"^0x[0-9a-fA-F]{1,64}$", description="a Sui object id")]
MAX_GAS_BUDGET = 50_000_000_000  # MIST: Sui's largest transaction budget (50 SUI)
MAX_GAS_PRICE = 100_000  # MIST per unit: Sui's largest gas price
U64_MAX = 2**64 - 1
UNITS_PER_PRICE = 1_000_000  # the chain prices subscriptions per one million compute units


class GasFields(StrictModel):
    """The daemon's optional gas settings of a transaction; passed to the chain client as given."""

    gas: Annotated[ObjectId | None, Field(description="object id of one of the operator's SUI coins")] = None
    gas_budget: Annotated[StrictInt | None, Field(ge=1, le=MAX_GAS_BUDGET, description="MIST")] = None
    gas_price: Annotated[StrictInt | None, Field(ge=1, le=MAX_GAS_PRICE, description="MIST per gas unit")] = None

    def gas_options(self) -> GasOptions | None:
        if self.gas is None and self.gas_budget is None and self.gas_price is None:
            return None
        return GasOptions(coin=self.gas, budget=self.gas_budget, price=self.gas_price)


class TaskRequest(GasFields):
    """A task (un)subscription as seed 003 names its fields; the upstream daemon's names are accepted too."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "task_small_id": 1,
                    "node_badge_id": "0xab2f",
                    "price_per_compute_unit": 10,
                    "max_num_compute_units": 100000,
                    "gas_budget": 50000000,
                    "gas_price": 1000,
                }
            ]
        }
    )

    task_small_id: Annotated[StrictInt, Field(ge=1, le=U64_MAX)]
    node_small_id: Annotated[StrictInt, Field(ge=1, le=U64_MAX)] | None = None
    node_badge_id: Annotated[ObjectId | None, Field(description="the NodeBadge of the node to act for")] = None
    price_per_compute_unit: Annotated[
        StrictInt | None,
        Field(ge=1, le=U64_MAX // UNITS_PER_PRICE, description="price of ONE compute unit (USDC base units)"),
    ] = None
    price_per_one_million_compute_units: Annotated[
        StrictInt | None, Field(ge=0, le=U64_MAX, description="the upstream daemon's name: price of a million units")
    ] = None
    max_num_compute_units: Annotated[
        StrictInt | None, Field(ge=1, le=UNITS_PER_PRICE, description="the largest stack the node accepts")
    ] = None

    def price(self) -> int:
        """The chain's price per one million compute units."""
        if self.price_per_compute_unit is not None and self.price_per_one_million_compute_units is not None:
            raise BadRequest("give price_per_compute_unit or price_per_one_million_compute_units, not both")
        if self.price_per_compute_unit is not None:
            return self.price_per_compute_unit * UNITS_PER_PRICE
        if self.price_per_one_million_compute_units is None:
            raise BadRequest("price_per_compute_unit is required")
        return self.price_per_one_million_compute_units


# --- settlement ----------------------------------------------------------------------------------------------------


class StacksRequest(Model):
    """Stacks of the operator's nodes, optionally of one node."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"stack_small_ids": [3, 4], "node_small_id": 7}]})

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


def claim_result(reply: dict[str, Any]) -> TxDigest | TxDigests:
    """One transaction claimed them all (``tx_digest``), or stacks were claimed one by one (``tx_digests``)."""
    return TxDigest.model_validate(reply) if "tx_digest" in reply else TxDigests.model_validate(reply)


class Task(Model):
    task_small_id: int
    task_id: str | None
    role: int
    model_name: str | None
    is_deprecated: bool
    deprecated_at_epoch: int | None
    security_level: int = Field(description="0 none, 1 confidential compute, 2 sampling consensus")
    minimum_reputation_score: int | None


class Subscription(Model):
    node_small_id: int
    task_small_id: int
    price_per_one_million_compute_units: int
    max_num_compute_units: int = Field(description="the largest stack the node accepts")
    valid: bool


class ClaimedStack(Model):
    """A settlement ticket as the node daemon's ClaimedStack names its fields."""

    stack_small_id: int
    stack_id: str
    selected_node_id: int
    num_claimed_compute_units: int
    settlement_time: str
    attestation_status: Literal["Pending", "Complete", "Failed"]
    requested_attestation_nodes: str
    received_attestations: int
    required_attestations: int
    settlement_complete: bool
