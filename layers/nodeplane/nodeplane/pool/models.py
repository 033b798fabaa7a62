"""Wire models of the node pool API (`/v1`), field for field as exalsius-api-client 1.46.0 names them."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr

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

Number = StrictFloat | StrictInt
NonNegative = Annotated[StrictInt, Field(ge=0)]
Name = Annotated[StrictStr, Field(min_length=1, max_length=255)]


class Request(BaseModel):
    """Request bodies: strict types, unknown keys ignored (clients may be newer than the server)."""

    model_config = ConfigDict(strict=True, extra="ignore", defer_build=True)


class Reply(BaseModel):
    model_config = ConfigDict(defer_build=True)


# --- offers -------------------------------------------------------------------------------------


class Offer(Reply):
    id: str
    instance_id: str
    instance_type: str
    cloud_provider: CloudProvider
    gpu_count: int
    gpu_memory_mib: int
    total_gpu_memory_mib: int
    gpu_type: str
    gpu_vendor: GpuVendor
    main_memory_mib: int
    cpu_vendor: CpuVendor
    cpu_arch: CpuArch
    num_vcpus: int
    effective_time: datetime | None = None
    scrape_time: datetime
    pricing_unit: PricingUnit
    price: float | None = None
    currency: Currency
    price_type: PriceType
    hourly_cost: float | None = None
    location: str
    region: str
    availability_zone: str


class OffersListResponse(Reply):
    offers: list[Offer]
    total: int
    next_cursor: str | None = None
    prev_cursor: str | None = None


class GpuTypeInfo(Reply):
    gpu_type: str
    gpu_vendor: GpuVendor


class OfferMetadataResponse(Reply):
    gpu_types: list[GpuTypeInfo]
    gpu_vendors: list[GpuVendor]
    cloud_providers: list[CloudProvider]
    regions: list[str]
    availability_zones: list[str]
    locations: list[str]
    cpu_vendors: list[CpuVendor]
    cpu_architectures: list[Literal["X86_64", "AARCH64", "ARM64", "UNKNOWN"]]
    pricing_units: list[PricingUnit]
    price_types: list[PriceType]
    currencies: list[Currency]
    gpu_count_min: int
    gpu_count_max: int
    gpu_memory_mib_min: int
    gpu_memory_mib_max: int
    total_gpu_memory_mib_min: int
    total_gpu_memory_mib_max: int
    main_memory_mib_min: int
    main_memory_mib_max: int
    num_vcpus_min: int
    num_vcpus_max: int
    price_min: float
    price_max: float
    hourly_cost_min: float
    hourly_cost_max: float


# --- SSH keys -----------------------------------------------------------------------------------


class SshKeyCreateRequest(Request):
    name: Name
    private_key_b64: Annotated[StrictStr, Field(min_length=1, max_length=64 * 1024)]
    scope: KeyScope = "private"


class SshKeyCreateResponse(Reply):
    ssh_key_id: str


class SshKeyListEntry(Reply):
    id: str
    name: str
    scope: KeyScope


class SshKeysListResponse(Reply):
    ssh_keys: list[SshKeyListEntry]
    total: int


# --- nodes --------------------------------------------------------------------------------------


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
    price_per_hour: Annotated[Number, Field(ge=0)] | None = None


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
    price_per_hour: Annotated[Number, Field(ge=0)] | None = None
    hardware: NodeHardware | None = None
    software: NodeSoftware | None = None
    system: NodeSystem | None = None


class NodeSelfRegisterResponse(NodeAccessToken):
    node_id: str


class SelfRegisterTokenResponse(Reply):
    register_token: str


# --- clusters -----------------------------------------------------------------------------------


class ClusterLocalStorage(Request):
    enabled: StrictBool = True
    base_path: Annotated[StrictStr, Field(max_length=1024)] | None = None


class ClusterCreateRequest(Request):
    name: Name
    cluster_type: ClusterType
    vpn_cluster: StrictBool = False
    telemetry_enabled: StrictBool = False
    colony_id: StrictStr | None = None
    cluster_labels: dict[StrictStr, StrictStr] | None = None
    machine_pre_start_commands: list[StrictStr] | None = None
    local_storage: ClusterLocalStorage | None = None
    k8s_version: StrictStr | None = None
    to_be_deleted_at: StrictStr | None = None
    control_plane_node_ids: Annotated[list[StrictStr], Field(max_length=50)] | None = None
    worker_node_ids: Annotated[list[StrictStr], Field(max_length=50)] | None = None


class Cluster(Reply):
    id: str
    name: str
    namespace: str | None = None
    owner: str | None = None
    cluster_type: ClusterType | None = None
    vpn_cluster: bool = False
    telemetry_enabled: bool = False
    cluster_status: ClusterStatus
    cluster_labels: dict[str, str] | None = None
    machine_pre_start_commands: list[str] | None = None
    local_storage: dict[str, bool | str] | None = None
    created_at: datetime
    updated_at: datetime | None = None
    control_plane_node_ids: list[str] = []
    worker_node_ids: list[str] = []
    k8s_version: str | None = None
    costs_per_hour: float | None = None


class ClusterCreateResponse(Reply):
    cluster_id: str


class ClustersListResponse(Reply):
    clusters: list[Cluster]
    total: int
    next_cursor: str | None = None


class ClusterResponse(Reply):
    cluster: Cluster


class ClusterNodeToAdd(Request):
    node_id: Annotated[StrictStr, Field(min_length=1, max_length=64)]
    node_role: NodeRole


class ClusterAddNodeRequest(Request):
    nodes_to_add: Annotated[list[ClusterNodeToAdd], Field(min_length=1, max_length=50)]


class ClusterNodesResponse(Reply):
    cluster_id: str
    control_plane_node_ids: list[str]
    worker_node_ids: list[str]
    total_nodes: int


class ClusterDeployResponse(Reply):
    cluster_id: str


class ClusterNodeRemoveResponse(Reply):
    node_id: str


class ClusterDeleteResponse(Reply):
    cluster_id: str
    node_ids: list[str]
