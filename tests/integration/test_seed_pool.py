"""Seed 002 (exalsius NodesApi), line by line where nodeplane used to differ: each test quotes the line it checks.

Handlers run in-process with real API Gateway events, on moto and on DynamoDB Local (the strict engine: it
enforces DynamoDB's 100-item transaction limit that the 50-node import used to overflow).
"""

from __future__ import annotations

from nodeplane.pool import discovery
from tests.support.discovery import DiscoveryError, Inspection
from tests.support.pool import assert_problem, call, describe_node, first_offer, import_offer, ssh_node


def _import(offer_id: str, **query: object):
    return call(
        "pool_node_import_offer",
        "POST",
        "/v1/node/import/offer/{offer_id}",
        {"offer_id": offer_id},
        query=query,
        raw_body=None,
    )


def test_an_empty_hostname_generates_one(aws_env):
    # seed 002, import_node_from_offer: "hostname = '' # str |  (optional) (default to '')"
    offer = first_offer(gpu_vendor="NVIDIA")
    reply = _import(offer["id"], hostname="", amount=1)
    assert reply.status == 201, reply.body
    node = describe_node(reply.body["node_ids"][0])
    assert node["hostname"] and node["hostname"].startswith(offer["instance_type"].replace(".", "-").lower())


def test_the_largest_amount_imports_without_a_server_error(aws_env):
    # seed 002, import_node_from_offer: "`amount`: The number of instances of the instance type to import."
    # with the documented maximum (50): one node, one hostname claim each, plus the counters = 101 writes
    offer = first_offer(gpu_vendor="NVIDIA")
    reply = _import(offer["id"], hostname="fleet", amount=50)
    assert reply.status == 201, reply.body
    assert reply.body["total"] == 50 and len(set(reply.body["node_ids"])) == 50
    listing = call("pool_nodes_list", "GET", "/v1/nodes")
    assert listing.body["total"] == 50 and len(listing.body["nodes"]) == 50
    assert {n["hostname"] for n in listing.body["nodes"]} == {f"fleet-{i}" for i in range(1, 51)}
    # a second import that collides on one name writes nothing at all
    assert_problem(_import(offer["id"], hostname="fleet", amount=50), 409)
    assert call("pool_nodes_list", "GET", "/v1/nodes").body["total"] == 50


def test_import_from_offer_validation_is_400(aws_env):
    # seed 002, import_node_from_offer: "**400** | Error response" (it lists no 422)
    offer = first_offer(gpu_vendor="NVIDIA")
    for query in ({"amount": 0}, {"amount": 51}, {"amount": "many"}, {"hostname": "-bad"}):
        assert_problem(_import(offer["id"], **query), 400)
    assert call("pool_nodes_list", "GET", "/v1/nodes").body["total"] == 0


def test_import_ssh_validation_is_400(aws_env):
    # seed 002, import_ssh: "**400** | Error response" (it lists no 422)
    body = {"hostname": "box", "endpoint": "10.0.0.5:22", "username": "ubuntu"}  # no ssh_key_id
    assert_problem(call("pool_node_import_ssh", "POST", "/v1/node/import/ssh", body=body), 400)


def test_list_nodes_validation_stays_422(aws_env):
    # seed 002, list_nodes: "**422** | Error response"
    assert_problem(call("pool_nodes_list", "GET", "/v1/nodes", query={"node_type": "cloud"}), 422)


def test_list_nodes_returns_all_nodes_for_a_client_that_cannot_page(aws_env):
    # seed 002, list_nodes: "Retrieve all nodes in your node pool, including both self-managed (SSH) nodes and
    # cloud-imported nodes." and "**200** | List of nodes in the node pool |  * X-Total-Count"
    for _ in range(3):
        import_offer(amount=50)
    reply = call("pool_nodes_list", "GET", "/v1/nodes")
    assert reply.status == 200 and reply.body["total"] == 150 and len(reply.body["nodes"]) == 150
    assert reply.headers["X-Total-Count"] == "150" and reply.body.get("next_cursor") is None
    cloud = call("pool_nodes_list", "GET", "/v1/nodes", query={"node_type": "CLOUD"})
    assert len(cloud.body["nodes"]) == 150
    # clients that can page still can
    first = call("pool_nodes_list", "GET", "/v1/nodes", query={"limit": 100})
    assert len(first.body["nodes"]) == 100 and first.body["total"] == 150 and first.body["next_cursor"]
    rest = call("pool_nodes_list", "GET", "/v1/nodes", query={"cursor": first.body["next_cursor"]})
    seen = {n["id"] for n in first.body["nodes"]} | {n["id"] for n in rest.body["nodes"]}
    assert len(seen) == 150


def test_failed_and_warning_nodes_outside_a_cluster_can_be_deleted(aws_env, script):
    # seed 002, delete_node: "If the node is currently in use (i.e., not available), you must first detach it
    # from its cluster": a FAILED or WARNING node is in no cluster, so nothing is left to detach
    failed, warned = ssh_node(hostname="failed-box"), ssh_node(hostname="warned-box")
    script.outcomes = [DiscoveryError("authentication failed", permanent=True)]
    assert discovery.discover("tenant-a", failed).status == "FAILED"
    script.outcomes = [Inspection(warnings=["Docker 24.0.7 is already installed"])]
    assert discovery.discover("tenant-a", warned).status == "WARNING"
    for node_id in (failed, warned):
        reply = call("pool_node_delete", "DELETE", "/v1/node/{node_id}", {"node_id": node_id})
        assert reply.status == 200 and reply.body == {"node_id": node_id}
        assert_problem(call("pool_node_describe", "GET", "/v1/node/{node_id}", {"node_id": node_id}), 404)


def test_a_node_in_use_is_409_with_the_reason(aws_env):
    # seed 002, delete_node: "**409** | Error response" and "If the node is currently in use (i.e., not
    # available), you must first detach it from its cluster"
    pending = ssh_node(hostname="pending-box")
    conflict = call("pool_node_delete", "DELETE", "/v1/node/{node_id}", {"node_id": pending})
    assert_problem(conflict, 409)
    assert "discovery is in flight" in conflict.body["detail"]["detail"]
    (member,) = import_offer()
    body = {"name": "c1", "cluster_type": "CLOUD", "worker_node_ids": [member]}
    created = call("pool_cluster_create", "POST", "/v1/clusters", body=body)
    assert created.status == 201, created.body
    conflict = call("pool_node_delete", "DELETE", "/v1/node/{node_id}", {"node_id": member})
    assert_problem(conflict, 409)
    assert f"cluster {created.body['cluster_id']}" in conflict.body["detail"]["detail"]


def test_a_failed_discovery_attempt_shows_its_reason_at_once(aws_env, script):
    # seed 002, import_ssh: "This process may take up to 10 minutes; if it isn't ready by then, the import will
    # fail." and "You can poll its status at any time via GET /node/{node_id}."
    node_id = ssh_node(hostname="refusing-box")
    script.outcomes = [DiscoveryError("connection refused by h:22", permanent=False)]
    assert discovery.discover("tenant-a", node_id).status == "RETRY"
    node = describe_node(node_id)
    assert node["node_status"] == "PENDING"
    assert "connection refused by h:22" in node["failure_reason"]
