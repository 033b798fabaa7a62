"""Wire models of the pool's nodes."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StrictStr

from nodeplane.pool.models import Name, NodeStatus, NonNegative, Price, Reply, Request


class NodeHardware(Request):
    gpu_count: NonNegative | None = None
    gpu_memory: NonNegative | None = None
    gpu_vendor: Annotated[StrictStr, Field(max_length=64)] | None = None
    gpu_type: Annotated[StrictStr, Field(max_length=128)] | None = None
    cpu_cores: NonNegative | None = None
    memory_gb: NonNegative | None = None
    storage_gb: NonNegative | None = None


class NodeSoftware(Request):
    docker: Annotated[StrictStr, Field(max_length=128)] | None = None
    nvidia: Annotated[StrictStr, Field(max_length=128)] | None = None
    amd: Annotated[StrictStr, Field(max_length=128)] | None = None


class NodeSystem(Request):
    os: Annotated[StrictStr, Field(max_length=255)] | None = None
    kernel: Annotated[StrictStr, Field(max_length=255)] | None = None


class _NodeBase(Reply):
    id: str
    namespace: str | None = None
    hostname: str | None = None
    description: str | None = None
    location: str | None = None
    import_time: datetime | None = None
    price_per_hour: float
    node_status: NodeStatus
    warning_message: str | None = None
    hardware: dict[str, int | str] | None = None
    software: dict[str, str] | None = None
    system: dict[str, str] | None = None
    # nodeplane extras: ignored by the client, shown to people.
    cluster_id: str | None = None
    failure_reason: str | None = None


class CloudNode(_NodeBase):
    node_type: Literal["CLOUD"] = "CLOUD"
    provider: str
    region: str
    availability_zone: str | None = None
    instance_type: str
    offer_id: str | None = None


class SelfManagedNode(_NodeBase):
    node_type: Literal["SELF_MANAGED"] = "SELF_MANAGED"
    endpoint: str
    username: str
    ssh_key_id: str
    last_heartbeat_date: datetime | None = None
    heartbeat_stale: bool | None = None
    host_key_fingerprint: str | None = None


Node = Annotated[CloudNode | SelfManagedNode, Field(discriminator="node_type")]


class NodesListResponse(Reply):
    nodes: list[Node]
    total: int
    next_cursor: str | None = None


class NodeImportResponse(Reply):
    node_ids: list[str]
    total: int


class NodeImportSshRequest(Request):
    hostname: Name
    endpoint: Annotated[StrictStr, Field(min_length=1, max_length=300)]
    username: Annotated[StrictStr, Field(min_length=1, max_length=64)]
    ssh_key_id: Annotated[StrictStr, Field(min_length=1, max_length=64)]
    description: Annotated[StrictStr, Field(max_length=2000)] | None = None
    price_per_hour: Price | None = None


class NodePatchRequest(Request):
    hardware: NodeHardware
    software: NodeSoftware
    system: NodeSystem
    description: Annotated[StrictStr, Field(max_length=2000)] | None = None


class NodeAccessToken(Reply):
    next_access_token: str | None = None
    next_access_token_expires_in: int | None = None
    next_access_token_type: str | None = None


class NodePatchResponse(NodeAccessToken):
    node_id: str


class NodeDeleteResponse(Reply):
    node_id: str


class NodeSelfRegisterRequest(Request):
    register_token: Annotated[StrictStr, Field(min_length=1, max_length=512)]
    hostname: Name
    endpoint: Annotated[StrictStr, Field(min_length=1, max_length=300)]
    username: Annotated[StrictStr, Field(min_length=1, max_length=64)]
    ssh_key_id: Annotated[StrictStr, Field(min_length=1, max_length=64)]
    price_per_hour: Price | None = None
    hardware: NodeHardware | None = None
    software: NodeSoftware | None = None
    system: NodeSystem | None = None


class NodeSelfRegisterResponse(NodeAccessToken):
    node_id: str


class SelfRegisterTokenResponse(Reply):
    register_token: str
