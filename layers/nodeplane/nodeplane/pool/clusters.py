"""Clusters group AVAILABLE nodes. Membership moves nodes to ADDED (and back), inside DynamoDB transactions,
so a node can never be both deleted and added to a cluster, nor be in two clusters."""

from __future__ import annotations

import uuid
from typing import Any

from nodeplane import clock, store
from nodeplane.errors import BadRequest, Conflict, NotFound
from nodeplane.pool import items, states
from nodeplane.pool.models.clusters import ClusterCreateRequest
from nodeplane.store.dynamo import TransactionFailed

MAX_NODES = 98  # a cluster's nodes plus the cluster item must fit one 100-item transaction


def _join(tenant: str, node_id: str, cluster_id: str) -> store.Op:
    names: dict[str, str] = {"#cid": "cluster_id", "#prior": "status_before_cluster"}
    values: dict[str, Any] = {":cid": cluster_id, ":added": "ADDED"}
    condition = states.condition("add_to_cluster", values, names)
    return store.update(
        items.tenant_pk(tenant),
        items.node_sk(node_id),
        "SET #prior = #status, #status = :added, #cid = :cid",
        condition=condition,
        names=names,
        values=values,
        label=f"node:{node_id}",
    )


def _leave(tenant: str, node_id: str, cluster_id: str) -> store.Op:
    names: dict[str, str] = {"#cid": "cluster_id", "#prior": "status_before_cluster"}
    values: dict[str, Any] = {":cid": cluster_id}
    condition = states.condition("remove_from_cluster", values, names) + " AND #cid = :cid"
    return store.update(
        items.tenant_pk(tenant),
        items.node_sk(node_id),
        "SET #status = #prior REMOVE #cid, #prior",
        condition=condition,
        names=names,
        values=values,
        label=f"node:{node_id}",
    )


def _raise_for_nodes(exc: TransactionFailed, cluster_id: str | None = None) -> None:
    for failure in exc.failures:
        if failure.label.startswith("node:"):
            node_id = failure.label.split(":", 1)[1]
            if failure.old is None or failure.old.get("entity") != "node":
                raise NotFound(f"node {node_id} not found") from exc
            where = f" in cluster {failure.old['cluster_id']}" if failure.old.get("cluster_id") else ""
            raise Conflict(
                f"node {node_id} is {failure.old.get('node_status')}{where}; it cannot join a cluster"
            ) from exc
        if failure.label == "cluster":
            if failure.old is None:
                raise NotFound(f"cluster {cluster_id} not found") from exc
            raise Conflict(f"cluster {cluster_id} changed concurrently or is full; retry") from exc


def present(item: dict[str, Any]) -> dict[str, Any]:
    members: dict[str, str] = item.get("nodes") or {}
    return {
        "id": item["id"],
        "name": item["name"],
        "owner": item["tenant"],
        "namespace": item["tenant"],
        "cluster_type": item.get("cluster_type"),
        "vpn_cluster": item.get("vpn_cluster", False),
        "telemetry_enabled": item.get("telemetry_enabled", False),
        "cluster_status": item["cluster_status"],
        "cluster_labels": item.get("cluster_labels"),
        "machine_pre_start_commands": item.get("machine_pre_start_commands"),
        "local_storage": item.get("local_storage"),
        "created_at": item["created_at"],
        "updated_at": item.get("updated_at"),
        "k8s_version": item.get("k8s_version"),
        "control_plane_node_ids": sorted(n for n, r in members.items() if r == "CONTROL_PLANE"),
        "worker_node_ids": sorted(n for n, r in members.items() if r == "WORKER"),
    }


def create(tenant: str, request: ClusterCreateRequest) -> str:
    members = {n: "CONTROL_PLANE" for n in request.control_plane_node_ids or []}
    for n in request.worker_node_ids or []:
        if n in members:
            raise BadRequest(f"node {n} is listed twice")
        members[n] = "WORKER"
    if len(members) > MAX_NODES:
        raise BadRequest(f"a cluster holds at most {MAX_NODES} nodes")
    cluster_id = str(uuid.uuid4())
    created = clock.iso()
    item = {
        "pk": items.tenant_pk(tenant),
        "sk": items.cluster_sk(cluster_id),
        "entity": "cluster",
        "id": cluster_id,
        "tenant": tenant,
        "name": request.name,
        "cluster_type": request.cluster_type,
        "vpn_cluster": request.vpn_cluster,
        "telemetry_enabled": request.telemetry_enabled,
        "cluster_labels": request.cluster_labels,
        "machine_pre_start_commands": request.machine_pre_start_commands,
        "local_storage": request.local_storage.model_dump(exclude_none=True) if request.local_storage else None,
        "k8s_version": request.k8s_version,
        "cluster_status": "PENDING",
        "created_at": created,
        "updated_at": created,
        "nodes": members,
        "version": 0,
        "gsi1pk": items.clusters_index_pk(tenant),
        "gsi1sk": items.created_sk(created, cluster_id),
    }
    ops = [store.put({k: v for k, v in item.items() if v is not None}, condition="attribute_not_exists(pk)")]
    ops += [_join(tenant, n, cluster_id) for n in members]
    try:
        store.transact(ops)
    except TransactionFailed as exc:
        _raise_for_nodes(exc, cluster_id)
        raise
    return cluster_id


def load(tenant: str, cluster_id: str) -> dict[str, Any]:
    item = store.get(items.tenant_pk(tenant), items.cluster_sk(cluster_id))
    if not item or item.get("entity") != "cluster":
        raise NotFound(f"cluster {cluster_id} not found")
    return item


def describe(tenant: str, cluster_id: str) -> dict[str, Any]:
    return present(load(tenant, cluster_id))


def list_clusters(
    tenant: str, status: str | None, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    found, next_cursor = store.query(
        "gsi1pk",
        items.clusters_index_pk(tenant),
        sk_name="gsi1sk",
        index="gsi1",
        limit=limit,
        cursor=cursor,
        filter_expression="#cs = :cs" if status else None,
        names={"#cs": "cluster_status"} if status else None,
        values={":cs": status} if status else None,
    )
    return [present(i) for i in found], next_cursor


def nodes_of(tenant: str, cluster_id: str) -> dict[str, Any]:
    view = present(load(tenant, cluster_id))
    return {
        "cluster_id": cluster_id,
        "control_plane_node_ids": view["control_plane_node_ids"],
        "worker_node_ids": view["worker_node_ids"],
        "total_nodes": len(view["control_plane_node_ids"]) + len(view["worker_node_ids"]),
    }


def add_nodes(tenant: str, cluster_id: str, nodes: list[tuple[str, str]]) -> dict[str, Any]:
    if len({n for n, _ in nodes}) != len(nodes):
        raise BadRequest("a node is listed twice")
    names: dict[str, str] = {"#nodes": "nodes", "#cs": "cluster_status", "#v": "version"}
    values: dict[str, Any] = {":deleting": "DELETING", ":max": MAX_NODES - len(nodes), ":one": 1}
    sets = []
    for i, (node_id, role) in enumerate(nodes):
        names[f"#n{i}"], values[f":r{i}"] = node_id, role
        sets.append(f"#nodes.#n{i} = :r{i}")
    ops = [
        store.update(
            items.tenant_pk(tenant),
            items.cluster_sk(cluster_id),
            "SET " + ", ".join(sets) + " ADD #v :one",
            condition="attribute_exists(pk) AND #cs <> :deleting AND size(#nodes) <= :max",
            names=names,
            values=values,
            label="cluster",
        )
    ]
    ops += [_join(tenant, n, cluster_id) for n, _ in nodes]
    try:
        store.transact(ops)
    except TransactionFailed as exc:
        _raise_for_nodes(exc, cluster_id)
        raise
    return nodes_of(tenant, cluster_id)


def remove_node(tenant: str, cluster_id: str, node_id: str) -> None:
    load(tenant, cluster_id)
    try:
        store.transact(
            [
                _leave(tenant, node_id, cluster_id),
                store.update(
                    items.tenant_pk(tenant),
                    items.cluster_sk(cluster_id),
                    "REMOVE #nodes.#n ADD #v :one",
                    condition="attribute_exists(#nodes.#n)",
                    names={"#nodes": "nodes", "#n": node_id, "#v": "version"},
                    values={":one": 1},
                    label="member",
                ),
            ]
        )
    except TransactionFailed as exc:
        raise NotFound(f"node {node_id} is not in cluster {cluster_id}") from exc


def deploy(tenant: str, cluster_id: str) -> None:
    """Mark the cluster READY and its nodes DEPLOYED (provisioning happens outside nodeplane)."""
    item = load(tenant, cluster_id)
    members = list((item.get("nodes") or {}).keys())
    if not members:
        raise Conflict(f"cluster {cluster_id} has no nodes to deploy")
    ops = [
        store.update(
            items.tenant_pk(tenant),
            items.cluster_sk(cluster_id),
            "SET #cs = :ready, updated_at = :now ADD #v :one",
            condition="#v = :ver",
            names={"#cs": "cluster_status", "#v": "version"},
            values={":ready": "READY", ":now": clock.iso(), ":ver": item.get("version", 0), ":one": 1},
            label="cluster",
        )
    ]
    for node_id in members:
        names: dict[str, str] = {"#cid": "cluster_id"}
        values: dict[str, Any] = {":cid": cluster_id, ":deployed": "DEPLOYED"}
        cond = "attribute_exists(pk) AND #cid = :cid AND #status IN (:a, :d)"
        names["#status"] = "node_status"
        values.update({":a": "ADDED", ":d": "DEPLOYED"})
        ops.append(
            store.update(
                items.tenant_pk(tenant),
                items.node_sk(node_id),
                "SET #status = :deployed",
                condition=cond,
                names=names,
                values=values,
                label=f"node:{node_id}",
            )
        )
    try:
        store.transact(ops)
    except TransactionFailed as exc:
        raise Conflict(f"cluster {cluster_id} changed while deploying; retry") from exc


def delete(tenant: str, cluster_id: str) -> list[str]:
    """Delete the cluster and release its nodes back to the pool, atomically."""
    item = load(tenant, cluster_id)
    members = list((item.get("nodes") or {}).keys())
    ops = [
        store.delete(
            items.tenant_pk(tenant),
            items.cluster_sk(cluster_id),
            condition="#v = :ver",
            names={"#v": "version"},
            values={":ver": item.get("version", 0)},
            label="cluster",
        )
    ]
    ops += [_leave(tenant, n, cluster_id) for n in members]
    try:
        store.transact(ops)
    except TransactionFailed as exc:
        failure = exc.failed("cluster")
        if failure is not None and failure.old is None:
            raise NotFound(f"cluster {cluster_id} not found") from exc
        raise Conflict(f"cluster {cluster_id} changed while deleting; retry") from exc
    return members
