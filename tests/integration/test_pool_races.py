"""Races decided by DynamoDB, not by the process: many concurrent requests, one winner."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.pool import call, import_offer

pytestmark = pytest.mark.dynamodb_local


@pytest.mark.parametrize("aws_env", ["dynamodb_local"], indirect=True)
def test_delete_and_add_to_cluster_never_both_succeed(aws_env):
    node_ids = import_offer(amount=20)
    cluster = call("pool_cluster_create", "POST", "/v1/clusters", body={"name": "race", "cluster_type": "CLOUD"})
    cid = cluster.body["cluster_id"]

    def delete(node_id: str) -> int:
        return call("pool_node_delete", "DELETE", "/v1/node/{node_id}", {"node_id": node_id}).status

    def add(node_id: str) -> int:
        return call(
            "pool_cluster_nodes_add",
            "POST",
            "/v1/cluster/{cluster_id}/nodes",
            {"cluster_id": cid},
            body={"nodes_to_add": [{"node_id": node_id, "node_role": "WORKER"}]},
        ).status

    with ThreadPoolExecutor(max_workers=16) as pool:
        deletes = [pool.submit(delete, n) for n in node_ids]
        adds = [pool.submit(add, n) for n in node_ids]
        outcomes = [(d.result(), a.result()) for d, a in zip(deletes, adds, strict=True)]

    members = set(
        call("pool_cluster_nodes_get", "GET", "/v1/cluster/{cluster_id}/nodes", {"cluster_id": cid}).body[
            "worker_node_ids"
        ]
    )
    for node_id, (deleted, added) in zip(node_ids, outcomes, strict=True):
        assert not (deleted == 200 and added == 201), f"{node_id} was deleted and added"
        assert deleted in (200, 404, 409) and added in (201, 404, 409)
        if added == 201:
            assert node_id in members
            node = call("pool_node_describe", "GET", "/v1/node/{node_id}", {"node_id": node_id}).body
            assert node["node_status"] == "ADDED"
        else:
            assert node_id not in members
    remaining = call("pool_nodes_list", "GET", "/v1/nodes").body["total"]
    assert remaining == sum(1 for d, _ in outcomes if d != 200)


@pytest.mark.parametrize("aws_env", ["dynamodb_local"], indirect=True)
def test_one_node_into_two_clusters_concurrently(aws_env):
    (node_id,) = import_offer()
    clusters = [
        call("pool_cluster_create", "POST", "/v1/clusters", body={"name": f"c{i}", "cluster_type": "CLOUD"}).body[
            "cluster_id"
        ]
        for i in range(8)
    ]

    def add(cid: str) -> int:
        return call(
            "pool_cluster_nodes_add",
            "POST",
            "/v1/cluster/{cluster_id}/nodes",
            {"cluster_id": cid},
            body={"nodes_to_add": [{"node_id": node_id, "node_role": "WORKER"}]},
        ).status

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(add, clusters))
    assert statuses.count(201) == 1 and set(statuses) <= {201, 409}
