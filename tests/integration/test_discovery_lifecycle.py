"""Discovery's state machine with a scripted inspector: leases, retries with backoff, the 10-minute rule,
duplicates, late results, and the worker's partial batch failures. The real SSH path is tested against a
real sshd in test_ssh_discovery.py."""

from __future__ import annotations

import json

import boto3

from nodeplane import clock
from nodeplane.pool import discovery
from nodeplane_local.harness.lambda_events import Context, drain, load_function, schedule_event, sqs_event
from tests.support.discovery import DiscoveryError, Inspection
from tests.support.pool import call, describe_node, ssh_node


def test_success_fills_facts_and_records_the_host_key(moto_env, script):
    node_id = ssh_node()
    assert discovery.discover("tenant-a", node_id).status == "AVAILABLE"
    node = describe_node(node_id)
    assert node["node_status"] == "AVAILABLE" and node["hardware"]["cpu_cores"] == 8
    assert node["system"]["os"].startswith("Debian") and node["host_key_fingerprint"] == "SHA256:abc"
    # the next discovery must present the same key
    call("pool_node_rediscover", "POST", "/v1/node/{node_id}/discover", {"node_id": node_id})
    discovery.discover("tenant-a", node_id)
    assert script.calls[-1]["known_host_fingerprint"] == "SHA256:abc"


def test_preinstalled_docker_is_a_warning(moto_env, script):
    node_id = ssh_node()
    script.outcomes = [Inspection(software={"docker": "24.0.7"}, warnings=["Docker 24.0.7 is already installed"])]
    assert discovery.discover("tenant-a", node_id).status == "WARNING"
    node = describe_node(node_id)
    assert node["node_status"] == "WARNING" and "Docker" in node["warning_message"]


def test_permanent_failure_fails_at_once_with_the_reason(moto_env, script):
    node_id = ssh_node()
    script.outcomes = [DiscoveryError("authentication failed for ubuntu@h:22", permanent=True)]
    assert discovery.discover("tenant-a", node_id).status == "FAILED"
    node = describe_node(node_id)
    assert node["node_status"] == "FAILED" and "authentication failed" in node["failure_reason"]


def test_transient_failure_retries_with_backoff_through_the_queue(moto_env, script):
    node_id = ssh_node()
    sqs = boto3.client("sqs")
    sqs.purge_queue(QueueUrl=moto_env["DISCOVERY_QUEUE_URL"])
    script.outcomes = [DiscoveryError("connection refused", permanent=False)]
    assert discovery.discover("tenant-a", node_id, attempt=2).status == "RETRY"
    node = describe_node(node_id)
    assert node["node_status"] == "PENDING"
    # the retry is queued with a delay (visible only after it), carrying the next attempt number
    msgs = sqs.receive_message(QueueUrl=moto_env["DISCOVERY_QUEUE_URL"]).get("Messages", [])
    assert msgs == []
    attrs = sqs.get_queue_attributes(
        QueueUrl=moto_env["DISCOVERY_QUEUE_URL"], AttributeNames=["ApproximateNumberOfMessagesDelayed"]
    )["Attributes"]
    assert attrs["ApproximateNumberOfMessagesDelayed"] == "1"
    assert discovery.discover("tenant-a", node_id, attempt=3).status == "AVAILABLE"


def test_duplicate_messages_do_not_double_apply(moto_env, script):
    node_id = ssh_node()
    assert discovery.discover("tenant-a", node_id).status == "AVAILABLE"
    assert discovery.discover("tenant-a", node_id).status == "SKIPPED"
    assert len(script.calls) == 1


def test_a_concurrent_duplicate_is_refused_by_the_lease(moto_env, script):
    node_id = ssh_node()
    inner: list[str] = []
    script.on_call = lambda: inner.append(discovery.discover("tenant-a", node_id).status) if not inner else None
    assert discovery.discover("tenant-a", node_id).status == "AVAILABLE"
    assert inner == ["SKIPPED"] and len(script.calls) == 1


def test_ten_minute_rule_with_an_injected_clock(moto_env, script):
    node_id = ssh_node()
    clock.advance(601)
    assert discovery.sweep() == {"failed": 1, "requeued": 0}
    node = describe_node(node_id)
    assert node["node_status"] == "FAILED" and "10 minutes" in node["failure_reason"]
    # a discovery that arrives afterwards cannot resurrect it
    assert discovery.discover("tenant-a", node_id).status in ("SKIPPED", "FAILED")
    assert describe_node(node_id)["node_status"] == "FAILED" and script.calls == []


def test_a_result_after_the_deadline_cannot_resurrect(moto_env, script):
    node_id = ssh_node()
    # the sweeper fails the node while the inspection is running
    script.on_call = lambda: (clock.advance(601), discovery.sweep())
    assert discovery.discover("tenant-a", node_id).status == "SKIPPED"
    assert describe_node(node_id)["node_status"] == "FAILED"


def test_sweeper_reenqueues_a_lost_message(moto_env, script):
    node_id = ssh_node()
    sqs = boto3.client("sqs")
    sqs.purge_queue(QueueUrl=moto_env["DISCOVERY_QUEUE_URL"])  # the message was lost
    assert discovery.sweep() == {"failed": 0, "requeued": 0}  # too early to call it lost
    clock.advance(discovery.REENQUEUE_AFTER_SECONDS + 1)
    # the scheduled sweeper function, as EventBridge invokes it
    swept = load_function("schedule_discovery_sweeper").lambda_handler(
        schedule_event("nodeplane-DiscoverySweeper"), Context()
    )
    assert swept == {"failed": 0, "requeued": 1}
    body = json.loads(sqs.receive_message(QueueUrl=moto_env["DISCOVERY_QUEUE_URL"])["Messages"][0]["Body"])
    assert body["node_id"] == node_id


def test_worker_reports_partial_batch_failures(moto_env, script):
    node_id = ssh_node()
    event = sqs_event([{"kind": "discover_node", "tenant": "tenant-a", "node_id": node_id}, "not json"])
    poison = event["Records"][1]["messageId"]
    result = load_function("queue_discovery_worker").lambda_handler(event, Context())
    assert result == {"batchItemFailures": [{"itemIdentifier": poison}]}
    assert describe_node(node_id)["node_status"] == "AVAILABLE"


def test_a_poison_message_ends_in_the_dlq_not_in_a_loop(moto_env, script):
    sqs = boto3.client("sqs")
    sqs.purge_queue(QueueUrl=moto_env["DISCOVERY_QUEUE_URL"])
    sqs.send_message(QueueUrl=moto_env["DISCOVERY_QUEUE_URL"], MessageBody='{"kind": "something else"}')
    drain(moto_env["DISCOVERY_QUEUE_URL"], "queue_discovery_worker", rounds=8)
    dead = sqs.receive_message(QueueUrl=moto_env["DISCOVERY_DLQ_URL"], MaxNumberOfMessages=10).get("Messages", [])
    assert [m["Body"] for m in dead] == ['{"kind": "something else"}']
    assert sqs.receive_message(QueueUrl=moto_env["DISCOVERY_QUEUE_URL"]).get("Messages", []) == []
