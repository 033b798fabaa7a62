"""A pool team with the published exalsius-api-client: browse offers, import cloud nodes, group them in a cluster.

NODEPLANE_URL=http://127.0.0.1:3000 NODEPLANE_TOKEN=$(make -s token TENANT=alice) .venv/bin/python examples/pool_team.py
"""

from __future__ import annotations

import os

import exalsius_api_client as ex

url = os.environ.get("NODEPLANE_URL", "http://127.0.0.1:3000")
config = ex.Configuration(host=f"{url}/v1", access_token=os.environ["NODEPLANE_TOKEN"])

with ex.ApiClient(config) as api:
    offers = ex.OffersApi(api).get_offers(gpu_vendor="NVIDIA", price_max=4.0, page_size=3).offers
    for offer in offers:
        print(
            f"offer {offer.id}: {offer.gpu_count}x {offer.gpu_type} at {offer.cloud_provider}, ${offer.hourly_cost}/h"
        )

    imported = ex.NodesApi(api).import_node_from_offer(offers[0].id, hostname="example-gpu", amount=2)
    print(f"imported nodes {', '.join(imported.node_ids)}")

    cluster = ex.ClustersApi(api).create_cluster(
        ex.ClusterCreateRequest(name="example", cluster_type="CLOUD", worker_node_ids=imported.node_ids)
    )
    print(f"cluster {cluster.cluster_id} with {ex.ClustersApi(api).get_nodes(cluster.cluster_id).total_nodes} nodes")
    for node in ex.NodesApi(api).list_nodes().nodes:
        print(f"node {node.actual_instance.id} {node.actual_instance.hostname}: {node.actual_instance.node_status}")
