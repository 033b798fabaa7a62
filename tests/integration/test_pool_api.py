"""The /v1 handlers in-process, with real API Gateway v2 events, on moto and on DynamoDB Local."""

from __future__ import annotations

import base64

import pytest

from tests.support.pool import KEY_PEM, add_key, assert_problem, call, first_offer, import_offer


def test_offers_filters_and_metadata(aws_env):
    meta = call("pool_offers_metadata", "GET", "/v1/offers/metadata")
    assert meta.status == 200
    assert "AWS" in meta.body["cloud_providers"] and meta.body["price_min"] > 0
    cheap = call("pool_offers_list", "GET", "/v1/offers", query={"price_max": 1.0, "gpu_vendor": "NVIDIA"})
    assert cheap.status == 200 and cheap.body["offers"]
    assert all(o["hourly_cost"] <= 1.0 and o["gpu_vendor"] == "NVIDIA" for o in cheap.body["offers"])
    prices = [o["hourly_cost"] for o in cheap.body["offers"]]
    assert prices == sorted(prices)
    aws = call("pool_offers_list", "GET", "/v1/offers", query={"cloud_provider": "AWS", "gpu_count_min": 8})
    assert aws.body["offers"] and all(o["cloud_provider"] == "AWS" and o["gpu_count"] >= 8 for o in aws.body["offers"])
    page = call("pool_offers_list", "GET", "/v1/offers", query={"page_size": 5})
    assert len(page.body["offers"]) == 5 and page.body["total"] > 5 and page.body["next_cursor"]
    nxt = call("pool_offers_list", "GET", "/v1/offers", query={"page_size": 5, "cursor": page.body["next_cursor"]})
    assert {o["id"] for o in nxt.body["offers"]}.isdisjoint({o["id"] for o in page.body["offers"]})
    # get_offers declares 400 (not 422) for a bad request
    assert_problem(call("pool_offers_list", "GET", "/v1/offers", query={"gpu_vendor": "nvidia-ish"}), 400)


def test_import_from_offer_list_describe_delete(aws_env):
    ids = import_offer(amount=3, hostname="gpu")
    listing = call("pool_nodes_list", "GET", "/v1/nodes")
    assert listing.status == 200 and listing.body["total"] == 3
    assert listing.headers["X-Total-Count"] == "3"
    node = call("pool_node_describe", "GET", "/v1/node/{node_id}", {"node_id": ids[0]}).body
    assert node["node_type"] == "CLOUD" and node["node_status"] == "AVAILABLE"
    assert node["hostname"] == "gpu-1" and isinstance(node["price_per_hour"], float | int)
    assert call("pool_node_delete", "DELETE", "/v1/node/{node_id}", {"node_id": ids[0]}).status == 200
    assert_problem(call("pool_node_describe", "GET", "/v1/node/{node_id}", {"node_id": ids[0]}), 404)
    assert_problem(call("pool_node_delete", "DELETE", "/v1/node/{node_id}", {"node_id": ids[0]}), 404)
    assert call("pool_nodes_list", "GET", "/v1/nodes").body["total"] == 2


def test_unknown_offer_and_bad_amount(aws_env):
    assert_problem(
        call("pool_node_import_offer", "POST", "/v1/node/import/offer/{offer_id}", {"offer_id": "nope"}), 404
    )
    offer = first_offer()
    bad = call(
        "pool_node_import_offer",
        "POST",
        "/v1/node/import/offer/{offer_id}",
        {"offer_id": offer["id"]},
        query={"amount": 0},
    )
    assert_problem(bad, 400)  # import_node_from_offer declares 400
    assert call("pool_nodes_list", "GET", "/v1/nodes").body["total"] == 0


def test_tenants_are_isolated(aws_env):
    ids = import_offer(tenant="tenant-a")
    other = call("pool_node_describe", "GET", "/v1/node/{node_id}", {"node_id": ids[0]}, tenant="tenant-b")
    assert_problem(other, 404)
    assert_problem(
        call("pool_node_delete", "DELETE", "/v1/node/{node_id}", {"node_id": ids[0]}, tenant="tenant-b"), 404
    )
    assert call("pool_nodes_list", "GET", "/v1/nodes", tenant="tenant-b").body["total"] == 0


def test_missing_identity_is_401(aws_env):
    assert_problem(call("pool_nodes_list", "GET", "/v1/nodes", tenant=None), 401)


def test_ssh_keys_never_return_the_key(aws_env):
    key_id = add_key()
    listing = call("pool_ssh_key_list", "GET", "/v1/management/ssh-keys")
    assert listing.body == {"ssh_keys": [{"id": key_id, "name": "k1", "scope": "private"}], "total": 1}
    assert_problem(
        call(
            "pool_ssh_key_add",
            "POST",
            "/v1/management/ssh-keys",
            body={"name": "k1", "private_key_b64": base64.b64encode(KEY_PEM).decode()},
        ),
        409,
    )
    assert_problem(
        call("pool_ssh_key_add", "POST", "/v1/management/ssh-keys", body={"name": "k2", "private_key_b64": "%%%"}),
        400,
    )
    from nodeplane import store
    from nodeplane.pool import items

    item = store.get(items.tenant_pk("tenant-a"), items.sshkey_sk(key_id))
    assert KEY_PEM not in repr(item).encode() and base64.b64encode(KEY_PEM).decode() not in repr(item)
    from nodeplane.pool import sshkeys

    assert sshkeys.private_key("tenant-a", key_id) == KEY_PEM
    deleted = call("pool_ssh_key_delete", "DELETE", "/v1/management/ssh-key/{ssh_key_id}", {"ssh_key_id": key_id})
    assert deleted.status == 204 and not deleted.body
    assert_problem(
        call("pool_ssh_key_delete", "DELETE", "/v1/management/ssh-key/{ssh_key_id}", {"ssh_key_id": key_id}), 404
    )


def test_import_ssh_is_pending_and_enqueues_discovery(aws_env):
    import boto3

    key_id = add_key()
    reply = call(
        "pool_node_import_ssh",
        "POST",
        "/v1/node/import/ssh",
        body={"hostname": "box", "endpoint": "10.0.0.5:22", "username": "ubuntu", "ssh_key_id": key_id},
    )
    assert reply.status == 201 and reply.body["total"] == 1
    node = call("pool_node_describe", "GET", "/v1/node/{node_id}", {"node_id": reply.body["node_ids"][0]}).body
    assert node["node_type"] == "SELF_MANAGED" and node["node_status"] == "PENDING"
    assert node["price_per_hour"] == 0
    msgs = boto3.client("sqs").receive_message(QueueUrl=aws_env["DISCOVERY_QUEUE_URL"], MaxNumberOfMessages=10)
    assert len(msgs.get("Messages", [])) == 1
    dup = call(
        "pool_node_import_ssh",
        "POST",
        "/v1/node/import/ssh",
        body={"hostname": "box", "endpoint": "10.0.0.6:22", "username": "ubuntu", "ssh_key_id": key_id},
    )
    assert_problem(dup, 409)
    assert_problem(
        call("pool_node_delete", "DELETE", "/v1/node/{node_id}", {"node_id": reply.body["node_ids"][0]}), 409
    )


@pytest.mark.parametrize(
    "body,status",
    [
        ('{"hostname": "x"', 400),
        ({"hostname": "x", "endpoint": "h:22", "username": "u"}, 400),
        ({"hostname": 5, "endpoint": "h:22", "username": "u", "ssh_key_id": "k"}, 400),
        ({"hostname": "x", "endpoint": "h:99999", "username": "u", "ssh_key_id": "k"}, 400),
        ({"hostname": "x", "endpoint": "h:22", "username": "u", "ssh_key_id": "unknown"}, 400),
        (
            {"hostname": "x", "endpoint": "h:22", "username": "u", "ssh_key_id": "k", "price_per_hour": "1"},
            400,
        ),
    ],
)
def test_import_ssh_rejects_bad_input_and_writes_nothing(aws_env, body, status):
    raw = body if isinstance(body, str) else None
    reply = call("pool_node_import_ssh", "POST", "/v1/node/import/ssh", body=None if raw else body, raw_body=raw)
    assert_problem(reply, status)
    assert call("pool_nodes_list", "GET", "/v1/nodes").body["total"] == 0


def test_oversized_body_is_413(aws_env):
    reply = call("pool_node_import_ssh", "POST", "/v1/node/import/ssh", raw_body='{"x": "' + "a" * 300_000 + '"}')
    assert_problem(reply, 413)


def test_patch_heartbeat_and_facts_rotate_the_token(aws_env):
    key_id = add_key()
    node_id = call(
        "pool_node_import_ssh",
        "POST",
        "/v1/node/import/ssh",
        body={"hostname": "box", "endpoint": "h:22", "username": "u", "ssh_key_id": key_id},
    ).body["node_ids"][0]
    beat = call("pool_node_patch", "PATCH", "/v1/node/{node_id}", {"node_id": node_id}, raw_body="")
    assert beat.status == 200 and beat.body["node_id"] == node_id and beat.body["next_access_token"]
    described = call("pool_node_describe", "GET", "/v1/node/{node_id}", {"node_id": node_id}).body
    assert described["last_heartbeat_date"] and described["heartbeat_stale"] is False
    facts = call(
        "pool_node_patch",
        "PATCH",
        "/v1/node/{node_id}",
        {"node_id": node_id},
        body={"hardware": {"gpu_count": 2}, "software": {}, "system": {"os": "Debian"}, "description": "d"},
    )
    assert facts.status == 200 and facts.body["next_access_token"] != beat.body["next_access_token"]
    described = call("pool_node_describe", "GET", "/v1/node/{node_id}", {"node_id": node_id}).body
    assert described["hardware"]["gpu_count"] == 2 and described["system"]["os"] == "Debian"
    assert described["description"] == "d"
    assert_problem(call("pool_node_patch", "PATCH", "/v1/node/{node_id}", {"node_id": "nope"}, raw_body=""), 404)
    assert_problem(
        call(
            "pool_node_patch",
            "PATCH",
            "/v1/node/{node_id}",
            {"node_id": node_id},
            body={"hardware": {"gpu_count": "2"}, "software": {}, "system": {}},
        ),
        422,
    )


def test_clusters_lifecycle_and_the_409_rule(aws_env):
    a, b, c = import_offer(amount=3)
    created = call(
        "pool_cluster_create",
        "POST",
        "/v1/clusters",
        body={"name": "c1", "cluster_type": "CLOUD", "control_plane_node_ids": [a], "worker_node_ids": [b]},
    )
    assert created.status == 201
    cid = created.body["cluster_id"]
    node_a = call("pool_node_describe", "GET", "/v1/node/{node_id}", {"node_id": a}).body
    assert node_a["node_status"] == "ADDED" and node_a["cluster_id"] == cid
    assert_problem(call("pool_node_delete", "DELETE", "/v1/node/{node_id}", {"node_id": a}), 409)
    # a node can be in one cluster only
    second = call(
        "pool_cluster_create",
        "POST",
        "/v1/clusters",
        body={"name": "c2", "cluster_type": "CLOUD", "worker_node_ids": [a]},
    )
    assert_problem(second, 409)
    added = call(
        "pool_cluster_nodes_add",
        "POST",
        "/v1/cluster/{cluster_id}/nodes",
        {"cluster_id": cid},
        body={"nodes_to_add": [{"node_id": c, "node_role": "WORKER"}]},
    )
    assert added.status == 201 and sorted(added.body["worker_node_ids"]) == sorted([b, c])
    assert_problem(
        call(
            "pool_cluster_nodes_add",
            "POST",
            "/v1/cluster/{cluster_id}/nodes",
            {"cluster_id": cid},
            body={"nodes_to_add": [{"node_id": "ghost", "node_role": "WORKER"}]},
        ),
        404,
    )
    got = call("pool_cluster_nodes_get", "GET", "/v1/cluster/{cluster_id}/nodes", {"cluster_id": cid}).body
    assert got["total_nodes"] == 3 and got["control_plane_node_ids"] == [a]
    removed = call(
        "pool_cluster_node_remove",
        "DELETE",
        "/v1/cluster/{cluster_id}/nodes/{node_id}",
        {"cluster_id": cid, "node_id": c},
    )
    assert removed.status == 202
    assert call("pool_node_describe", "GET", "/v1/node/{node_id}", {"node_id": c}).body["node_status"] == "AVAILABLE"
    deployed = call("pool_cluster_deploy", "POST", "/v1/cluster/{cluster_id}/deploy", {"cluster_id": cid})
    assert deployed.status == 202
    assert call("pool_node_describe", "GET", "/v1/node/{node_id}", {"node_id": b}).body["node_status"] == "DEPLOYED"
    desc = call("pool_cluster_describe", "GET", "/v1/cluster/{cluster_id}", {"cluster_id": cid}).body["cluster"]
    assert desc["cluster_status"] == "READY" and desc["name"] == "c1"
    assert call("pool_clusters_list", "GET", "/v1/clusters").body["total"] == 1
    deleted = call("pool_cluster_delete", "DELETE", "/v1/cluster/{cluster_id}", {"cluster_id": cid})
    assert deleted.status == 200 and sorted(deleted.body["node_ids"]) == sorted([a, b])
    for node_id in (a, b):
        assert (
            call("pool_node_describe", "GET", "/v1/node/{node_id}", {"node_id": node_id}).body["node_status"]
            == "AVAILABLE"
        )
    assert call("pool_node_delete", "DELETE", "/v1/node/{node_id}", {"node_id": a}).status == 200
    assert_problem(call("pool_cluster_describe", "GET", "/v1/cluster/{cluster_id}", {"cluster_id": cid}), 404)
    assert_problem(call("pool_cluster_create", "POST", "/v1/clusters", body={"name": "x", "cluster_type": "NOPE"}), 400)


def test_list_filters_sorting_and_paging(aws_env):
    import_offer(amount=3, hostname="zeta")
    key_id = add_key()
    for host in ("alpha", "beta"):
        call(
            "pool_node_import_ssh",
            "POST",
            "/v1/node/import/ssh",
            body={"hostname": host, "endpoint": "h:22", "username": "u", "ssh_key_id": key_id},
        )
    cloud = call("pool_nodes_list", "GET", "/v1/nodes", query={"node_type": "CLOUD"}).body
    assert cloud["total"] == 3 and all(n["node_type"] == "CLOUD" for n in cloud["nodes"])
    selfm = call("pool_nodes_list", "GET", "/v1/nodes", query={"node_type": "SELF_MANAGED"}).body
    assert selfm["total"] == 2 and len(selfm["nodes"]) == 2
    provider = cloud["nodes"][0]["provider"]
    by_provider = call("pool_nodes_list", "GET", "/v1/nodes", query={"provider": provider.upper()}).body
    assert by_provider["total"] == 3
    names = [
        n["hostname"]
        for n in call("pool_nodes_list", "GET", "/v1/nodes", query={"sort_field": "HOSTNAME", "order_by": "DESC"}).body[
            "nodes"
        ]
    ]
    assert names == sorted(names, reverse=True)
    page = call("pool_nodes_list", "GET", "/v1/nodes", query={"limit": 2})
    assert len(page.body["nodes"]) == 2 and page.body["total"] == 5 and page.body["next_cursor"]
    rest = call("pool_nodes_list", "GET", "/v1/nodes", query={"limit": 10, "cursor": page.body["next_cursor"]}).body
    assert len(rest["nodes"]) == 3
    assert_problem(call("pool_nodes_list", "GET", "/v1/nodes", query={"node_type": "cloud"}), 422)
    assert_problem(call("pool_nodes_list", "GET", "/v1/nodes", query={"cursor": "garbage!"}), 400)
