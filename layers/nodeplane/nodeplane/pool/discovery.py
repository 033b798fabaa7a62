"""Discovery of self-managed nodes: PENDING -> DISCOVERING -> AVAILABLE / WARNING / FAILED.

A worker takes a lease on the node (a conditional write), inspects the machine over SSH and writes the
outcome only while it still holds that lease, so a duplicate message, a second worker or a late
result after the 10-minute deadline can never apply twice or resurrect a failed node.
Transient failures (nothing listening, timeouts) go back to PENDING and are retried through the queue
with exponential backoff; permanent ones (authentication, a changed host key) fail at once.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any

from nodeplane import clock, metrics, queue, store
from nodeplane.pool import items, sshkeys, states
from nodeplane.settings import settings
from nodeplane.store.dynamo import TransactionFailed

logger = logging.getLogger("nodeplane.discovery")

LEASE_SECONDS = 120
RETRY_BASE_SECONDS = 5
RETRY_MAX_SECONDS = 120
REENQUEUE_AFTER_SECONDS = 90


@dataclass
class Outcome:
    node_id: str
    status: str  # AVAILABLE | WARNING | FAILED | RETRY | SKIPPED
    reason: str = ""


def _fail(tenant: str, node_id: str, reason: str, *, lease: str | None = None) -> bool:
    """PENDING/DISCOVERING -> FAILED with a reason. With ``lease``, only the lease holder may do it."""
    names: dict[str, str] = {"#reason": "failure_reason"}
    values: dict[str, Any] = {":failed": "FAILED", ":reason": reason, ":now": clock.iso()}
    condition = states.condition("fail_discovery", values, names)
    if lease:
        condition += " AND #lease = :lease"
        names["#lease"], values[":lease"] = "discovery_lease", lease
    try:
        store.transact(
            [
                store.update(
                    items.tenant_pk(tenant),
                    items.node_sk(node_id),
                    "SET #status = :failed, #reason = :reason, discovered_at = :now "
                    "REMOVE gsi3pk, gsi3sk, discovery_lease, discovery_lease_until",
                    condition=condition,
                    names=names,
                    values=values,
                )
            ]
        )
    except TransactionFailed:
        return False
    return True


def _take_lease(tenant: str, node_id: str, lease: str) -> dict[str, Any] | None:
    """PENDING (or DISCOVERING with an expired lease) -> DISCOVERING, before the deadline. Returns the node."""
    now = clock.now()
    names = {"#status": "node_status", "#until": "discovery_lease_until", "#deadline": "discovery_deadline"}
    values = {
        ":pending": "PENDING",
        ":discovering": "DISCOVERING",
        ":now": now,
        ":lease": lease,
        ":until": now + LEASE_SECONDS,
    }
    try:
        store.transact(
            [
                store.update(
                    items.tenant_pk(tenant),
                    items.node_sk(node_id),
                    "SET #status = :discovering, discovery_lease = :lease, #until = :until ADD discovery_attempts :one",
                    condition="attribute_exists(pk) AND #deadline > :now AND "
                    "(#status = :pending OR (#status = :discovering AND #until < :now))",
                    names=names,
                    values={**values, ":one": 1},
                )
            ]
        )
    except TransactionFailed:
        return None
    return store.get(items.tenant_pk(tenant), items.node_sk(node_id))


def _finish(tenant: str, node_id: str, lease: str, status: str, inspection: Any) -> bool:
    names = {"#status": "node_status", "#lease": "discovery_lease"}
    values: dict[str, Any] = {
        ":status": status,
        ":discovering": "DISCOVERING",
        ":lease": lease,
        ":now": clock.iso(),
        ":hw": inspection.hardware,
        ":sw": inspection.software,
        ":sys": inspection.system,
        ":fp": inspection.host_key_fingerprint,
        ":warn": "; ".join(inspection.warnings) if inspection.warnings else None,
    }
    sets = (
        "#status = :status, hardware = :hw, software = :sw, #sys = :sys, host_key_fingerprint = :fp, "
        "discovered_at = :now"
    )
    names["#sys"] = "system"
    if values[":warn"] is None:
        values.pop(":warn")
        remove = " REMOVE warning_message, failure_reason, gsi3pk, gsi3sk, discovery_lease, discovery_lease_until"
    else:
        sets += ", warning_message = :warn"
        remove = " REMOVE failure_reason, gsi3pk, gsi3sk, discovery_lease, discovery_lease_until"
    try:
        store.transact(
            [
                store.update(
                    items.tenant_pk(tenant),
                    items.node_sk(node_id),
                    "SET " + sets + remove,
                    condition="#status = :discovering AND #lease = :lease",
                    names=names,
                    values=values,
                )
            ]
        )
    except TransactionFailed:
        return False
    return True


def _release_for_retry(tenant: str, node_id: str, lease: str, reason: str) -> bool:
    try:
        store.transact(
            [
                store.update(
                    items.tenant_pk(tenant),
                    items.node_sk(node_id),
                    "SET #status = :pending, last_discovery_error = :reason, last_enqueued_at = :now "
                    "REMOVE discovery_lease, discovery_lease_until",
                    condition="#status = :discovering AND #lease = :lease",
                    names={"#status": "node_status", "#lease": "discovery_lease"},
                    values={
                        ":pending": "PENDING",
                        ":discovering": "DISCOVERING",
                        ":lease": lease,
                        ":reason": reason,
                        ":now": clock.now(),
                    },
                )
            ]
        )
    except TransactionFailed:
        return False
    return True


def discover(tenant: str, node_id: str, attempt: int = 0) -> Outcome:
    """Run one discovery attempt for a node named by a queue message. Safe to call any number of times."""
    started = time.perf_counter()
    outcome = _discover(tenant, node_id, attempt)
    dims = {"Outcome": outcome.status}
    metrics.add("Discoveries", dimensions=dims)
    metrics.add("DiscoveryDuration", round((time.perf_counter() - started) * 1000, 2), "Milliseconds", dimensions=dims)
    return outcome


def _discover(tenant: str, node_id: str, attempt: int) -> Outcome:
    from nodeplane.pool.inspection import DiscoveryError, inspect_host

    node = store.get(items.tenant_pk(tenant), items.node_sk(node_id))
    if not node or node.get("node_status") not in ("PENDING", "DISCOVERING"):
        return Outcome(node_id, "SKIPPED", "node is gone or already discovered")
    if float(node.get("discovery_deadline", 0)) <= clock.now():
        _fail(tenant, node_id, _deadline_reason())
        return Outcome(node_id, "FAILED", _deadline_reason())
    lease = secrets.token_hex(8)
    node = _take_lease(tenant, node_id, lease)
    if node is None:
        return Outcome(node_id, "SKIPPED", "another worker holds the node, or its deadline passed")
    try:
        key = sshkeys.private_key(tenant, node["ssh_key_id"])
    except Exception:
        reason = f"SSH key {node['ssh_key_id']} is no longer available"
        _fail(tenant, node_id, reason, lease=lease)
        return Outcome(node_id, "FAILED", reason)
    try:
        inspection = asyncio.run(
            inspect_host(
                node["endpoint"],
                node["username"],
                key,
                known_host_fingerprint=node.get("host_key_fingerprint"),
            )
        )
    except DiscoveryError as exc:
        if exc.permanent:
            _fail(tenant, node_id, exc.reason, lease=lease)
            return Outcome(node_id, "FAILED", exc.reason)
        if _release_for_retry(tenant, node_id, lease, exc.reason):
            delay = min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2**attempt)
            queue.send(
                settings().discovery_queue_url,
                queue.discovery_job(tenant, node_id, attempt + 1),
                delay_seconds=delay,
            )
        return Outcome(node_id, "RETRY", exc.reason)
    status = "WARNING" if inspection.warnings else "AVAILABLE"
    if not _finish(tenant, node_id, lease, status, inspection):
        return Outcome(node_id, "SKIPPED", "the node left DISCOVERING while it was inspected (deadline passed?)")
    return Outcome(node_id, status, "; ".join(inspection.warnings))


def _deadline_reason() -> str:
    minutes = settings().discovery_deadline_seconds // 60
    return f"discovery did not complete within {minutes} minutes of the import"


def sweep(limit: int = 100) -> dict[str, int]:
    """Fail nodes past their discovery deadline; re-enqueue PENDING nodes whose message was lost."""
    now = clock.now()
    failed = requeued = 0
    cursor: str | None = None
    while True:
        page, cursor = store.query(
            "gsi3pk", items.DISCOVERY, sk_name="gsi3sk", index="gsi3", limit=limit, cursor=cursor
        )
        for item in page:
            if float(item.get("discovery_deadline", 0)) <= now:
                failed += _fail(item["tenant"], item["id"], _deadline_reason())
            elif (
                item.get("node_status") == "PENDING"
                and now - float(item.get("last_enqueued_at") or item.get("discovery_enqueued_at") or 0)
                > REENQUEUE_AFTER_SECONDS
            ) or (item.get("node_status") == "DISCOVERING" and float(item.get("discovery_lease_until", 0)) < now):
                requeued += _requeue(item)
        if not cursor:
            if failed:
                metrics.add("Discoveries", failed, dimensions={"Outcome": "FAILED"})
            return {"failed": failed, "requeued": requeued}


def _requeue(item: dict[str, Any]) -> int:
    try:
        store.transact(
            [
                store.update(
                    items.tenant_pk(item["tenant"]),
                    items.node_sk(item["id"]),
                    "SET last_enqueued_at = :now",
                    condition="attribute_exists(pk)",
                    values={":now": clock.now()},
                )
            ]
        )
    except TransactionFailed:
        return 0
    queue.send(settings().discovery_queue_url, queue.discovery_job(item["tenant"], item["id"]))
    return 1
