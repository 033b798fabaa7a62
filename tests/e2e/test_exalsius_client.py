"""The unmodified exalsius-api-client 1.46.0 against the local runtime, over real HTTP."""

from __future__ import annotations

import base64

import exalsius_api_client as ex
import pytest
from exalsius_api_client.exceptions import (
    BadRequestException,
    ConflictException,
    NotFoundException,
    UnauthorizedException,
    UnprocessableEntityException,
)

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("runtime")]  # one worker, one shared runtime

KEY_PEM = b"-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n"


def client(runtime, tenant: str | None) -> ex.ApiClient:
    cfg = ex.Configuration(host=f"{runtime.base_url}/v1", access_token=runtime.token(tenant) if tenant else None)
    cfg.retries = 0
    return ex.ApiClient(cfg)


@pytest.fixture
def alice(runtime):
    with client(runtime, "alice-e2e") as api:
        yield api


def test_offers_and_metadata(alice):
    offers = ex.OffersApi(alice).get_offers(gpu_vendor="NVIDIA", price_max=2.0, page_size=10)
    assert offers.total > 0 and all(o.gpu_vendor == "NVIDIA" and o.hourly_cost <= 2.0 for o in offers.offers)
    meta = ex.OffersApi(alice).get_offers_filter_metadata()
    assert "AWS" in meta.cloud_providers and meta.price_min <= meta.price_max


def test_node_pool_lifecycle_with_the_published_client(alice):
    nodes_api, clusters_api, mgmt = ex.NodesApi(alice), ex.ClustersApi(alice), ex.ManagementApi(alice)
    offer = ex.OffersApi(alice).get_offers(cloud_provider="AWS", page_size=1).offers[0]
    imported = nodes_api.import_node_from_offer(offer.id, hostname="e2e-gpu", amount=2)
    assert imported.total == 2 and len(imported.node_ids) == 2
    a, b = imported.node_ids
    node = nodes_api.describe_node(a).actual_instance
    assert isinstance(node, ex.CloudNode) and node.node_status == "AVAILABLE" and node.price_per_hour >= 0

    key = mgmt.add_ssh_key(ex.SshKeyCreateRequest(name="e2e-key", private_key_b64=base64.b64encode(KEY_PEM).decode()))
    keys = mgmt.list_ssh_keys()
    assert [k.name for k in keys.ssh_keys] == ["e2e-key"]
    ssh = nodes_api.import_ssh(
        ex.NodeImportSshRequest(hostname="e2e-box", endpoint="127.0.0.1:1", username="root", ssh_key_id=key.ssh_key_id)
    )
    assert len(ssh.node_ids) == 1
    self_managed = nodes_api.describe_node(ssh.node_ids[0]).actual_instance
    assert isinstance(self_managed, ex.SelfManagedNode) and self_managed.node_status in (
        "PENDING",
        "DISCOVERING",
        "FAILED",
    )
    listing = nodes_api.list_nodes()
    assert listing.total == 3
    assert nodes_api.list_nodes(node_type="CLOUD").total == 2

    beat = nodes_api.patch_node(a)
    assert beat.node_id == a and beat.next_access_token
    patched = nodes_api.patch_node(
        a,
        ex.NodePatchRequest(hardware=ex.NodeHardware(gpu_count=8), software=ex.NodeSoftware(), system=ex.NodeSystem()),
    )
    assert patched.node_id == a

    created = clusters_api.create_cluster(
        ex.ClusterCreateRequest(name="e2e", cluster_type="CLOUD", worker_node_ids=[a])
    )
    with pytest.raises(ConflictException) as conflict:
        nodes_api.delete_node(a)
    assert conflict.value.data.detail.status == 409
    added = clusters_api.add_nodes(
        created.cluster_id,
        ex.ClusterAddNodeRequest(nodes_to_add=[ex.ClusterNodeToAdd(node_id=b, node_role="CONTROL_PLANE")]),
    )
    assert added.control_plane_node_ids == [b]
    assert clusters_api.get_nodes(created.cluster_id).total_nodes == 2
    assert clusters_api.describe_cluster(created.cluster_id).cluster.name == "e2e"
    assert len(clusters_api.list_clusters().clusters) == 1
    assert clusters_api.delete_node_from_cluster(created.cluster_id, b).node_id == b
    deleted = clusters_api.delete_cluster(created.cluster_id)
    assert deleted.node_ids == [a]
    assert nodes_api.delete_node(a).node_id == a
    with pytest.raises(NotFoundException) as missing:
        nodes_api.describe_node(a)
    assert missing.value.data.detail.status == 404
    mgmt.delete_ssh_key(key.ssh_key_id)
    assert mgmt.list_ssh_keys().total == 0


def test_errors_are_problems_the_client_parses(runtime, alice):
    nodes_api = ex.NodesApi(alice)
    with pytest.raises(NotFoundException) as exc:
        nodes_api.import_node_from_offer("no-such-offer")
    assert exc.value.data.detail.instance.endswith("/no-such-offer")
    with pytest.raises(BadRequestException) as bad:
        nodes_api.import_ssh(ex.NodeImportSshRequest(hostname="x", endpoint="h:22", username="u", ssh_key_id="nope"))
    assert "ssh_key_id" in bad.value.data.detail.detail
    with pytest.raises(UnprocessableEntityException):
        nodes_api.list_nodes(node_type="cloud")
    with client(runtime, None) as anonymous, pytest.raises(UnauthorizedException):
        ex.NodesApi(anonymous).list_nodes()


def test_a_second_tenant_sees_nothing(runtime, alice):
    offer = ex.OffersApi(alice).get_offers(page_size=1).offers[0]
    (node_id,) = ex.NodesApi(alice).import_node_from_offer(offer.id).node_ids
    with client(runtime, "bob-e2e") as bob:
        with pytest.raises(NotFoundException):
            ex.NodesApi(bob).describe_node(node_id)
        with pytest.raises(NotFoundException):
            ex.NodesApi(bob).delete_node(node_id)
        assert ex.NodesApi(bob).list_nodes().total == 0


def test_the_seed_example_import_with_an_empty_hostname_and_the_largest_amount(runtime):
    # seed 002, import_node_from_offer: "hostname = '' # str |  (optional) (default to '')", with amount at its
    # documented maximum (50 used to answer 500)
    with client(runtime, "carol-e2e") as carol:
        offer = ex.OffersApi(carol).get_offers(page_size=1).offers[0]
        imported = ex.NodesApi(carol).import_node_from_offer(offer.id, hostname="", amount=50)
        assert imported.total == 50 and len(set(imported.node_ids)) == 50
        listing = ex.NodesApi(carol).list_nodes()
        assert listing.total == 50 and len(listing.nodes) == 50
        assert all(n.actual_instance.hostname for n in listing.nodes)
