"""Each invocation writes one JSON record (as Lambda's JSON log format writes it) and its metrics as EMF.

One handler of each API (/v1, /proxy, /daemon), errors included (validation, 401 of an authorizer-less route, an
oversized body, an unexpected exception), every queue worker and every schedule, invoked in-process; the records
are formatted by the local runtime's JSON formatter (the shape of Lambda's) and the metrics parsed as CloudWatch
would parse them (tests/support/emf.py). docs/operations.md documents the fields and metrics checked here.
"""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from nodeplane import metrics
from nodeplane_local import logs
from nodeplane_local.harness.lambda_events import Reply, http_event, invoke, schedule_event, sqs_event
from tests.support import emf

ROOT = Path(__file__).parents[2]
Series = dict[tuple[str, tuple[tuple[str, str], ...]], list[float]]


@dataclass
class Capture:
    stream: io.StringIO = field(default_factory=io.StringIO)
    emf_lines: list[str] = field(default_factory=list)

    def run(self, function: str, event: dict[str, Any]) -> tuple[Reply, list[dict[str, Any]], Series, str]:
        """Invoke ``function``; returns its reply, the JSON lines it logged, its metrics and its request id."""
        self.stream.seek(0)
        self.stream.truncate()
        self.emf_lines.clear()
        request_id = str(uuid.uuid4())
        with logs.invocation(request_id, function):
            reply = invoke(function, event)
        lines = [json.loads(line) for line in self.stream.getvalue().splitlines()]
        return reply, lines, emf.series(self.emf_lines), request_id


@pytest.fixture
def capture(monkeypatch: pytest.MonkeyPatch) -> Iterator[Capture]:
    cap = Capture()
    handler = logs.handler("json", cap.stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    monkeypatch.setattr(metrics, "sink", cap.emf_lines.append)
    metrics.discard()
    try:
        yield cap
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def _one(lines: list[dict[str, Any]], message: str) -> dict[str, Any]:
    (record,) = [line for line in lines if line["message"] == message and line["logger"].startswith("nodeplane.")]
    return record


def _request(
    cap: Capture, function: str, event: dict[str, Any], status: int
) -> tuple[Reply, dict[str, Any], Series, str]:
    reply, lines, series, request_id = cap.run(function, event)
    assert reply.status == status, reply.body
    record = _one(lines, "request")
    assert record["requestId"] == request_id
    assert record["apigwRequestId"] == event["requestContext"]["requestId"]
    assert record["routeKey"] == event["routeKey"]
    assert record["status"] == status
    assert isinstance(record["latencyMs"], int | float) and record["latencyMs"] >= 0
    assert isinstance(record["coldStart"], bool)
    assert record["level"] == ("ERROR" if status >= 500 else "INFO")
    api, route = record["api"], record["routeKey"]
    for dims in ((("Api", api), ("Route", route)), (("Api", api),)):
        assert series[("Requests", dims)] == [1]
        assert series[("ClientErrors", dims)] == [int(400 <= status < 500)]
        assert series[("ServerErrors", dims)] == [int(status >= 500)]
        assert len(series[("Latency", dims)]) == 1
    if status < 400:
        assert "errorCode" not in record and "reason" not in record
    return reply, record, series, request_id


def test_a_v1_request_and_its_route_metrics(moto_env, capture: Capture) -> None:
    event = http_event("GET", "/v1/nodes", tenant="alice")
    _, record, _, _ = _request(capture, "pool_nodes_list", event, 200)
    assert (record["api"], record["tenant"]) == ("v1", "alice")
    units = {d.name: d.unit for line in capture.emf_lines for d in emf.parse(line)}
    assert units == {"Requests": "Count", "ClientErrors": "Count", "ServerErrors": "Count", "Latency": "Milliseconds"}


def test_a_v1_not_found_names_its_code_and_reason(moto_env, capture: Capture) -> None:
    event = http_event("GET", "/v1/node/{node_id}", {"node_id": "n-missing"}, tenant="alice")
    _, record, _, _ = _request(capture, "pool_node_describe", event, 404)
    assert record["errorCode"] == "NOT_FOUND" and "n-missing" in record["reason"]


def test_a_validation_error_is_logged_with_what_was_wrong(moto_env, capture: Capture) -> None:
    event = http_event("GET", "/v1/offers", query={"page_size": 0})
    _, record, _, _ = _request(capture, "pool_offers_list", event, 400)  # get_offers declares 400, not 422
    assert record["errorCode"] == "REQUEST_ERROR" and "page_size" in record["reason"]


def test_a_401_of_a_route_outside_the_authorizer(moto_env, capture: Capture) -> None:
    event = http_event("PATCH", "/v1/node/{node_id}", {"node_id": "n-1"}, tenant=None)  # a heartbeat
    _, record, _, _ = _request(capture, "pool_node_patch", event, 401)
    assert record["errorCode"] == "AUTH_ERROR" and "bearer token" in record["reason"]
    assert "tenant" not in record


def test_an_oversized_body_is_a_logged_413(moto_env, capture: Capture) -> None:
    event = http_event("POST", "/v1/clusters", raw_body="x" * (256 * 1024 + 1), tenant="alice")
    _, record, _, _ = _request(capture, "pool_cluster_create", event, 413)
    assert record["errorCode"] == "REQUEST_ERROR" and "exceeds" in record["reason"]


def test_an_unexpected_exception_is_a_500_with_its_traceback_under_the_same_request_id(
    moto_env, capture: Capture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nodeplane.pool import nodes

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the table went away")

    monkeypatch.setattr(nodes, "list_nodes", broken)
    event = http_event("GET", "/v1/nodes", tenant="alice")
    reply, lines, _, request_id = capture.run("pool_nodes_list", event)
    assert reply.status == 500
    record = _one(lines, "request")
    assert (record["status"], record["errorCode"], record["level"]) == (500, "INTERNAL_ERROR", "ERROR")
    (trace,) = [line for line in lines if line.get("errorType") == "RuntimeError"]
    assert trace["requestId"] == request_id and trace["errorMessage"] == "the table went away"


def test_a_proxy_lock_refused_counts_its_reason(moto_env, capture: Capture) -> None:
    event = http_event("POST", "/proxy/v1/nodes/lock", body={"model": "no-such-model"}, tenant="alice")
    _, record, series, _ = _request(capture, "proxy_lock", event, 503)
    assert (record["api"], record["errorCode"]) == ("proxy", "SERVICE_UNAVAILABLE")
    assert "no-such-model" in record["reason"]
    assert series[("LocksRefused", (("Reason", "SERVICE_UNAVAILABLE"),))] == [1]


def test_a_daemon_request_never_logs_the_keystore_it_carried(moto_env, capture: Capture) -> None:
    keystore = "suiprivkey1" + "q" * 60  # not a valid key: refused, and not written anywhere
    event = http_event("POST", "/daemon/keys", body={"keystore": keystore}, tenant="operator")
    reply, lines, _, _ = capture.run("daemon_keys", event)
    assert 400 <= reply.status < 500
    record = _one(lines, "request")
    assert (record["api"], record["tenant"], record["status"]) == ("daemon", "operator", reply.status)
    assert record["errorCode"] and record["reason"]
    assert keystore not in capture.stream.getvalue()


def test_a_granted_lock_counts_the_lock_and_its_units(world: Any, capture: Capture) -> None:
    from nodeplane_local import samples

    event = json.loads((ROOT / "events" / "proxy_lock" / "request.json").read_text())
    reply, record, series, _ = _request(capture, "proxy_lock", event, 200)
    assert record["tenant"] == samples.TENANT
    assert series[("LocksGranted", ())] == [1]
    assert series[("UnitsReserved", ())] == [int(reply.headers["X-Lock-Units"])]


# ---- queue workers and schedules


def test_the_settlement_worker_logs_each_message_with_its_stack(moto_env, capture: Capture) -> None:
    event = sqs_event([{"kind": "settle", "stack_small_id": 404}, "not json"])
    with pytest.raises(Exception, match="All records failed"):
        _run_raw(capture, "queue_settlement_worker", event)  # both fail: the whole batch goes back
    lines = [json.loads(line) for line in capture.stream.getvalue().splitlines()]
    records = {r["messageId"]: r for r in lines if r["message"] == "record"}
    first, second = (records[r["messageId"]] for r in event["Records"])
    assert (first["stackSmallId"], first["outcome"], first["level"]) == (404, "failed", "WARNING")
    assert "no settlement ticket for stack 404" in first["reason"] and first["requestId"]
    assert second["outcome"] == "failed" and "stackSmallId" not in second
    assert all(r["receiveCount"] == 1 and r["latencyMs"] >= 0 for r in (first, second))


def test_the_discovery_worker_logs_the_node_and_counts_the_outcome(moto_env, capture: Capture) -> None:
    event = sqs_event([{"kind": "discover_node", "tenant": "alice", "node_id": "n-gone"}])
    reply_like, lines, series, request_id = _run_raw(capture, "queue_discovery_worker", event)
    assert reply_like == {"batchItemFailures": []}
    record = _one(lines, "record")
    assert (record["nodeId"], record["tenant"], record["outcome"]) == ("n-gone", "alice", "SKIPPED")
    assert record["messageId"] == event["Records"][0]["messageId"] and record["requestId"] == request_id
    assert series[("Discoveries", (("Outcome", "SKIPPED"),))] == [1]
    assert len(series[("DiscoveryDuration", (("Outcome", "SKIPPED"),))]) == 1


def _run_raw(cap: Capture, function: str, event: dict[str, Any]) -> tuple[Any, list[dict[str, Any]], Series, str]:
    """Like Capture.run, for functions whose answer is not an HTTP response."""
    from nodeplane_local.harness.lambda_events import Context, container

    cap.stream.seek(0)
    cap.stream.truncate()
    cap.emf_lines.clear()
    request_id = str(uuid.uuid4())
    with logs.invocation(request_id, function), container(function) as module:
        result = module.lambda_handler(event, Context(aws_request_id=request_id))
    lines = [json.loads(line) for line in cap.stream.getvalue().splitlines()]
    return result, lines, emf.series(cap.emf_lines), request_id


@pytest.mark.parametrize(
    ("function", "counts", "gauge"),
    [
        ("schedule_locks_sweeper", {"stacks", "releasedUnits"}, "LockSweeperLagSeconds"),
        ("schedule_settlement_sweeper", {"requeued", "failed"}, "SettlementBacklogAgeSeconds"),
        ("schedule_purchase_sweeper", {"intents", "done", "refunded", "open"}, "PurchaseIntentOldestAgeSeconds"),
        ("schedule_discovery_sweeper", {"requeued", "failed"}, None),
        ("schedule_offers_refresh", {"offers"}, None),
        ("schedule_chain_events_poller", {"seen", "applied"}, None),
    ],
)
def test_each_schedule_logs_one_run_with_its_counts(
    moto_env, capture: Capture, function: str, counts: set[str], gauge: str | None
) -> None:
    _, lines, series, request_id = _run_raw(capture, function, schedule_event())
    record = _one(lines, "run")
    assert counts <= set(record) and record["requestId"] == request_id
    assert record["latencyMs"] >= 0 and isinstance(record["coldStart"], bool)
    if gauge:
        assert series[(gauge, ())] == [0]  # nothing is late on an empty table
        assert {d.unit for line in capture.emf_lines for d in emf.parse(line) if d.name == gauge} == {"Seconds"}


def test_the_gauges_measure_what_is_late(moto_env, capture: Capture) -> None:
    """An expired lock nobody released, and a settlement whose due step made no progress for 100 s."""
    from nodeplane import clock, store
    from nodeplane.network import items
    from nodeplane.network.locks import sweeper

    now_ms = int(clock.now() * 1000)
    store.transact(
        [
            store.put(
                {
                    "pk": "LAGTEST",
                    "sk": "STACK",
                    "gsi3pk": items.lock_expiry_shard_pk(1),
                    "gsi3sk": items.lock_expiry_sk(now_ms - 42_000, 1),
                }
            ),
            store.put(
                {
                    "pk": items.stack_pk(77),
                    "sk": "TICKET",
                    "stack_small_id": 77,
                    "settlement_status": "Attesting",
                    "next_action": "attest",
                    "progress_at": clock.now() - 100,
                    "deadline": clock.now() + 3600,
                    "gsi3pk": items.SETTLEMENTS,
                    "gsi3sk": items.settlement_due_sk(clock.now() - 5, 77),
                }
            ),
        ]
    )
    assert 42 <= sweeper.lag_seconds(now_ms + 1000) <= 44
    _, _, series, _ = _run_raw(capture, "schedule_settlement_sweeper", schedule_event())
    (age,) = series[("SettlementBacklogAgeSeconds", ())]
    assert 99 <= age <= 130
