"""Wire models of the node pool API (`/v1`), field for field as exalsius-api-client 1.46.0 names them.

This module holds the shared types and bases; the models live by area (offers, sshkeys, nodes, clusters) so a
handler imports, and pays the class construction of, only its own area's models.
"""

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr

NodeStatus = Literal["PENDING", "DISCOVERING", "AVAILABLE", "ADDED", "DEPLOYED", "FAILED", "WARNING"]
NodeType = Literal["CLOUD", "SELF_MANAGED"]
CloudProvider = Literal[
    "AWS",
    "AZURE",
    "GCP",
    "OCI",
    "LAMBDA",
    "PAPERSPACE",
    "VAST",
    "FLUIDSTACK",
    "CUDO",
    "NEBIUS",
    "HYPERBOLIC",
    "SCP",
    "DO",
    "OVHCLOUD",
    "SCALEWAY",
    "PRIMEINTELLECT",
    "IBM",
    "UNKNOWN",
]
GpuVendor = Literal["NVIDIA", "AMD", "INTEL", "HUAWEI", "GOOGLE", "AWS", "UNKNOWN"]
CpuVendor = Literal["INTEL", "AMD", "UNKNOWN"]
CpuArch = Literal["X86_64", "AARCH64", "ARM64"]
PricingUnit = Literal["HOURLY", "MONTHLY", "YEARLY", "UNKNOWN"]
Currency = Literal["USD", "EUR", "UNKNOWN"]
PriceType = Literal["ON_DEMAND", "SPOT"]
ClusterType = Literal["CLOUD", "REMOTE", "ADOPTED", "DOCKER"]
ClusterStatus = Literal["PENDING", "DEPLOYING", "READY", "DELETING", "FAILED"]
NodeRole = Literal["CONTROL_PLANE", "WORKER"]
KeyScope = Literal["private", "org"]

# Every number a request carries fits a DynamoDB number: counts an int32, prices finite and at most PRICE_MAX
COUNT_MAX = 2**31 - 1
PRICE_MAX = 1_000_000_000


def _price_digits(value: float | int) -> float | int:
    return round(value, 9) if isinstance(value, float) else value  # 1e-300 would underflow a DynamoDB number


Number = StrictFloat | StrictInt
NonNegative = Annotated[StrictInt, Field(ge=0, le=COUNT_MAX)]
Price = Annotated[Number, Field(ge=0, le=PRICE_MAX), AfterValidator(_price_digits)]
Name = Annotated[StrictStr, Field(min_length=1, max_length=255)]


class Request(BaseModel):
    """Request bodies: strict types, unknown keys ignored (clients may be newer than the server)."""

    model_config = ConfigDict(strict=True, extra="ignore", defer_build=True)


class Reply(BaseModel):
    model_config = ConfigDict(defer_build=True)
