"""Write the sample events under events/: one per function (HTTP API v2, SQS or Schedule).

Run `python scripts/make_events.py` after adding a function; the files are committed and used by
`nodeplane-local invoke`, the integration tests and the benchmarks.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

from nodeplane.chain.signatures import blake2b256, registration_digest
from nodeplane.network.usage import usage_digest
from nodeplane_local.harness.lambda_events import SENT_AT, http_event, received_event, sqs_message
from nodeplane_local.samples import (  # the ids `nodeplane-local seed` creates
    CLUSTER,
    KEY,
    NODE,
    NODE_IN_CLUSTER,
    NODE_SELF_MANAGED,
    NODE_URL,
    OFFER,
    SAMPLE_KEY_B64,
    SAMPLE_NODE_KEY,
    STACK_CLAIMED,
    STACK_SETTLED,
    STACK_WITH_USAGE,
    UNSUBSCRIBED_TASK,
)
from nodeplane_local.workers import schedule_envelope

ROOT = Path(__file__).resolve().parents[1]
LEGACY_BODY = {"node_small_id": 1, "public_address": NODE_URL, "country": "PT"}
HTTP = {
    "pool_offers_list": ("GET", "/v1/offers", None, {"gpu_vendor": "NVIDIA", "price_max": 5}, None),
    "pool_offers_metadata": ("GET", "/v1/offers/metadata", None, None, None),
    "pool_ssh_key_add": (
        "POST",
        "/v1/management/ssh-keys",
        None,
        None,
        {"name": "laptop", "private_key_b64": SAMPLE_KEY_B64},
    ),
    "pool_ssh_key_list": ("GET", "/v1/management/ssh-keys", None, None, None),
    "pool_ssh_key_delete": ("DELETE", "/v1/management/ssh-key/{ssh_key_id}", {"ssh_key_id": KEY}, None, None),
    "pool_nodes_list": ("GET", "/v1/nodes", None, {"node_type": "CLOUD"}, None),
    "pool_node_describe": ("GET", "/v1/node/{node_id}", {"node_id": NODE}, None, None),
    "pool_node_import_offer": (
        "POST",
        "/v1/node/import/offer/{offer_id}",
        {"offer_id": OFFER},
        {"amount": 1},
        None,
    ),
    "pool_node_import_ssh": (
        "POST",
        "/v1/node/import/ssh",
        None,
        None,
        {"hostname": "gpu-box", "endpoint": "203.0.113.5:22", "username": "ubuntu", "ssh_key_id": KEY},
    ),
    "pool_node_patch": (
        "PATCH",
        "/v1/node/{node_id}",
        {"node_id": NODE},
        None,
        {"hardware": {"gpu_count": 1}, "software": {}, "system": {}},
    ),
    "pool_node_delete": ("DELETE", "/v1/node/{node_id}", {"node_id": NODE}, None, None),
    "pool_clusters_list": ("GET", "/v1/clusters", None, None, None),
    "pool_cluster_create": (
        "POST",
        "/v1/clusters",
        None,
        None,
        {"name": "train", "cluster_type": "CLOUD", "worker_node_ids": [NODE]},
    ),
    "pool_cluster_describe": ("GET", "/v1/cluster/{cluster_id}", {"cluster_id": CLUSTER}, None, None),
    "pool_cluster_delete": ("DELETE", "/v1/cluster/{cluster_id}", {"cluster_id": CLUSTER}, None, None),
    "pool_cluster_deploy": ("POST", "/v1/cluster/{cluster_id}/deploy", {"cluster_id": CLUSTER}, None, None),
    "pool_cluster_nodes_add": (
        "POST",
        "/v1/cluster/{cluster_id}/nodes",
        {"cluster_id": CLUSTER},
        None,
        {"nodes_to_add": [{"node_id": NODE, "node_role": "WORKER"}]},
    ),
    "pool_cluster_nodes_get": ("GET", "/v1/cluster/{cluster_id}/nodes", {"cluster_id": CLUSTER}, None, None),
    "pool_cluster_node_remove": (
        "DELETE",
        "/v1/cluster/{cluster_id}/nodes/{node_id}",
        {"cluster_id": CLUSTER, "node_id": NODE_IN_CLUSTER},
        None,
        None,
    ),
    "pool_register_token_get": ("GET", "/v1/management/self-register-token", None, None, None),
    "pool_register_token_create": ("POST", "/v1/management/self-register-token", None, None, None),
    "pool_node_self_register": (
        "POST",
        "/v1/node/self-register",
        None,
        None,
        {
            "register_token": "npr_sample",
            "hostname": "gpu-agent",
            "endpoint": "203.0.113.7:22",
            "username": "ubuntu",
            "ssh_key_id": KEY,
            "hardware": {"gpu_count": 1},
        },
    ),
    "pool_node_rediscover": ("POST", "/v1/node/{node_id}/discover", {"node_id": NODE_SELF_MANAGED}, None, None),
    "proxy_lock": (
        "POST",
        "/proxy/v1/nodes/lock",
        None,
        None,
        {"model": "meta-llama/Llama-3.3-70B-Instruct", "max_num_tokens": 8192, "timeout": 60},
    ),
    "proxy_public_key": (
        "POST",
        "/proxy/v1/encryption/public-key",
        None,
        None,
        {"model_name": "meta-llama/Llama-3.3-70B-Instruct"},
    ),
    "proxy_register_node": (
        "POST",
        "/proxy/v1/nodes",
        None,
        None,
        {
            "data": {"country": "PT", "node_small_id": 1, "public_address": NODE_URL},
            "signature": SAMPLE_NODE_KEY.sign_hashed(registration_digest(1, NODE_URL, "PT")),
        },
    ),
    "proxy_node_registration": (
        "POST",
        "/proxy/node/registration",
        None,
        None,
        LEGACY_BODY,
    ),
    "proxy_usage_report": (
        "POST",
        "/proxy/v1/stacks/usage",
        None,
        None,
        {
            "data": {"stack_small_id": 1, "node_small_id": 1, "num_compute_units": 512, "request_id": "r-1"},
            "signature": SAMPLE_NODE_KEY.sign_hashed(usage_digest(1, 1, 512, None, "r-1")),
        },
    ),
    "daemon_claim_stacks": ("POST", "/daemon/claim_stacks", None, None, {"stack_small_ids": [STACK_WITH_USAGE]}),
    "daemon_claimed_stacks": ("GET", "/daemon/claimed_stacks", None, None, None),
    "daemon_claimed_stacks_node": ("GET", "/daemon/claimed_stacks/{node_small_id}", {"node_small_id": "1"}, None, None),
    "daemon_attestations": ("POST", "/daemon/attestations", None, None, {"stack_small_ids": [STACK_CLAIMED]}),
    "daemon_claim_funds": ("POST", "/daemon/claim_funds", None, None, {"stack_small_ids": [STACK_SETTLED]}),
    "daemon_keys": ("POST", "/daemon/keys", None, None, {"keystore": SAMPLE_NODE_KEY.to_keystore()}),
    "daemon_node_register": ("POST", "/daemon/nodes/register", None, None, None),
    "daemon_node_public_key": (
        "POST",
        "/daemon/nodes/{node_small_id}/public_key",
        {"node_small_id": "1"},
        None,
        {"public_key": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "device_type": 0},
    ),
    "daemon_task_subscribe": (
        "POST",
        "/daemon/task_subscribe",
        None,
        None,
        {"task_small_id": UNSUBSCRIBED_TASK, "price_per_one_million_compute_units": 250},
    ),
    "daemon_task_update_subscription": (
        "POST",
        "/daemon/task_update_subscription",
        None,
        None,
        {"task_small_id": 1, "price_per_one_million_compute_units": 300},
    ),
    "daemon_task_unsubscribe": ("POST", "/daemon/task_unsubscribe", None, None, {"task_small_id": 1}),
    "daemon_tasks": ("GET", "/daemon/tasks", None, None, None),
    "daemon_subscriptions": ("GET", "/daemon/subscriptions", None, None, None),
    "daemon_registration_policy": ("POST", "/daemon/registration_policy", None, None, {"require_timestamp": True}),
}
PUBLIC = {"pool_node_self_register", "proxy_register_node", "proxy_node_registration", "proxy_usage_report"}

SCHEDULED = [
    "schedule_offers_refresh",
    "schedule_discovery_sweeper",
    "schedule_locks_sweeper",
    "schedule_purchase_sweeper",
    "schedule_settlement_sweeper",
    "schedule_chain_events_poller",
    "schedule_coin_pool",
]
SQS = {
    "queue_discovery_worker": {"kind": "discover_node", "tenant": "alice", "node_id": NODE, "attempt": 0},
    "queue_settlement_worker": {"kind": "settle", "stack_small_id": STACK_CLAIMED, "action": None},
}


def sqs_event(body: dict) -> dict:
    """One message, with the same ids and time at every run (the samples change only where the body does)."""
    message = sqs_message(
        body,
        message_id="2e1424d4-f796-459a-8184-9c92662be6da",
        receipt_handle="AQEBzWwaftRI0KuVm4tP+/7q1rGgNqicHq...",
        sent_ms=int(SENT_AT * 1000),
    )
    return received_event([message], queue_arn="arn:aws:sqs:us-east-1:123456789012:nodeplane-DiscoveryQueue")


def scheduled_event(name: str) -> dict:
    sent = dt.datetime.fromtimestamp(SENT_AT, dt.UTC)
    return schedule_envelope(name, now=sent, event_id="53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa")


def main() -> None:
    for name, (method, route, params, query, body) in HTTP.items():
        folder = ROOT / "events" / name
        folder.mkdir(parents=True, exist_ok=True)
        if name == "proxy_node_registration":
            # the first registration form: the raw body is what the X-Signature header signs
            raw = json.dumps(body, separators=(",", ":"))
            signature = SAMPLE_NODE_KEY.sign_hashed(blake2b256(raw.encode()))
            event = http_event(method, route, raw_body=raw, tenant="alice", headers={"X-Signature": signature})
        else:
            event = http_event(method, route, params, query=query, body=body, tenant="alice")
        # a stable request id per sample, so regenerating the samples changes only what changed
        event["requestContext"]["requestId"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"nodeplane/events/{name}"))
        if name in PUBLIC:
            event["requestContext"].pop("authorizer")
        else:
            event["headers"]["authorization"] = "Bearer <jwt>"
        (folder / "request.json").write_text(json.dumps(event, indent=2) + "\n")
    for name in SCHEDULED:
        folder = ROOT / "events" / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "schedule.json").write_text(json.dumps(scheduled_event(name), indent=2) + "\n")
    for name, body in SQS.items():
        folder = ROOT / "events" / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "message.json").write_text(json.dumps(sqs_event(body), indent=2) + "\n")


if __name__ == "__main__":
    main()
