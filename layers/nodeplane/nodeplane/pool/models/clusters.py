"""Wire models of the pool's clusters."""

from datetime import datetime
from typing import Annotated

from pydantic import Field, StrictBool, StrictStr

from nodeplane.pool.models import ClusterStatus, ClusterType, Name, NodeRole, Reply, Request

Label = Annotated[StrictStr, Field(max_length=255)]
NodeId = Annotated[StrictStr, Field(min_length=1, max_length=64)]


class ClusterLocalStorage(Request):
    enabled: StrictBool = True
    base_path: Annotated[StrictStr, Field(max_length=1024)] | None = None


class ClusterCreateRequest(Request):
    name: Name
    cluster_type: ClusterType
    vpn_cluster: StrictBool = False
    telemetry_enabled: StrictBool = False
    colony_id: Annotated[StrictStr, Field(max_length=255)] | None = None
    cluster_labels: Annotated[dict[Label, Label], Field(max_length=64)] | None = None
    machine_pre_start_commands: (
        Annotated[list[Annotated[StrictStr, Field(max_length=4096)]], Field(max_length=64)] | None
    ) = None
    local_storage: ClusterLocalStorage | None = None
    k8s_version: Annotated[StrictStr, Field(max_length=64)] | None = None
    to_be_deleted_at: Annotated[StrictStr, Field(max_length=64)] | None = None
    control_plane_node_ids: Annotated[list[NodeId], Field(max_length=50)] | None = None
    worker_node_ids: Annotated[list[NodeId], Field(max_length=50)] | None = None


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
    node_id: NodeId
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
