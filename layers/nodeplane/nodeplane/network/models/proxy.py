"""Wire models of the proxy API (`/proxy`), field for field as atoma-sdk 0.1.3 names them."""

from typing import Annotated

from pydantic import ConfigDict, Field, StrictInt, StrictStr

from nodeplane.network.locks.plan import MAX_NUM_TOKENS, MAX_TIMEOUT_SECONDS
from nodeplane.network.models import U64, Model, StrictModel

# --- POST /proxy/v1/nodes/lock and POST /proxy/v1/encryption/public-key -----------------------------------------


class NodesCreateLockRequest(Model):
    model_config = ConfigDict(json_schema_extra={"examples": [{"model": "meta-llama/Llama-3.3-70B-Instruct"}]})

    model: Annotated[StrictStr, Field(min_length=1, max_length=256)]
    max_num_tokens: Annotated[StrictInt | None, Field(ge=1, le=MAX_NUM_TOKENS)] = None
    timeout: Annotated[StrictInt | None, Field(ge=1, le=MAX_TIMEOUT_SECONDS)] = None


class NodesCreateLockResponse(Model):
    public_key: str
    node_small_id: int
    stack_small_id: int
    stack_entry_digest: str | None


class SelectNodePublicKeyRequest(Model):
    model_config = ConfigDict(json_schema_extra={"examples": [{"model_name": "meta-llama/Llama-3.3-70B-Instruct"}]})

    model_name: Annotated[StrictStr, Field(min_length=1, max_length=256)]


class SelectNodePublicKeyResponse(Model):
    public_key: str
    node_small_id: int
    stack_entry_digest: str | None
    stack_small_id: int


# --- POST /proxy/v1/nodes ------------------------------------------------------------------------------------------


class NodePublicAddressAssignment(StrictModel):
    node_small_id: U64
    public_address: Annotated[StrictStr, Field(max_length=2048, description="an http or https URL")]
    country: Annotated[StrictStr, Field(max_length=64, description="ISO 3166-1 alpha-2 code")]
    timestamp: Annotated[
        U64 | None,
        Field(description="Unix seconds, signed after country; newer than the last accepted one (replay-proof)"),
    ] = None


_REGISTRATION: dict[str, int | str] = {
    "node_small_id": 7,
    "public_address": "https://node.example:3000",
    "country": "PT",
}


class NodesCreateRequest(Model):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "data": {**_REGISTRATION, "timestamp": 1767225600},
                    "signature": "base64(flag || signature || public key) over BLAKE2b-256 of the canonical data",
                }
            ]
        }
    )

    data: NodePublicAddressAssignment
    signature: Annotated[StrictStr, Field(max_length=512)]


class NodesCreateResponse(Model):
    message: str


# --- POST /proxy/v1/stacks/usage -----------------------------------------------------------------------------------


class UsageData(StrictModel):
    stack_small_id: U64
    node_small_id: U64
    num_compute_units: U64
    lock_id: Annotated[StrictStr, Field(min_length=1, max_length=128)] | None = None
    request_id: Annotated[StrictStr, Field(min_length=1, max_length=128)]


class UsageReportRequest(Model):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "data": {"stack_small_id": 3, "node_small_id": 7, "num_compute_units": 512, "request_id": "r-1"},
                    "signature": "base64 Sui signature over BLAKE2b-256 of the canonical data",
                }
            ]
        }
    )

    data: UsageData
    signature: Annotated[StrictStr, Field(max_length=512)]


class UsageReportResponse(Model):
    stack_small_id: int
    num_compute_units: int
    already_computed_units: int
    locked_compute_units: int
    claim_requested: bool
    replayed: bool


# --- POST /proxy/node/registration (the first registration form: bare body, X-Signature header) ------------------

LEGACY_REGISTRATION_EXAMPLE = _REGISTRATION
