"""nodeplane.invocation: one record per schedule run or queue message, the cold start, one metrics flush."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from nodeplane import invocation, metrics
from tests.support import emf


@pytest.fixture
def flushed(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    out: list[str] = []
    monkeypatch.setattr(metrics, "sink", out.append)
    metrics.discard()
    yield out
    metrics.discard()


def _records(caplog: pytest.LogCaptureFixture, message: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "nodeplane.worker" and r.getMessage() == message]


def test_a_schedule_logs_one_run_with_its_counts_and_flushes_once(
    caplog: pytest.LogCaptureFixture, flushed: list[str]
) -> None:
    def run() -> dict[str, Any]:
        metrics.add("LocksExpired", 2)
        return {"stacks": 1, "released_units": 7}

    handler = invocation.scheduled(run)
    with caplog.at_level(logging.INFO, logger="nodeplane.worker"):
        assert handler({}, None) == {"stacks": 1, "released_units": 7}
        handler({}, None)
    first, second = _records(caplog, "run")
    assert (first.releasedUnits, first.stacks, first.coldStart) == (7, 1, True)  # type: ignore[attr-defined]
    assert second.coldStart is False  # type: ignore[attr-defined]
    assert first.latencyMs >= 0  # type: ignore[attr-defined]
    assert len(flushed) == 2 and emf.series(flushed)[("LocksExpired", ())] == [2, 2]


def test_a_failed_run_is_logged_with_its_reason_and_still_flushes(
    caplog: pytest.LogCaptureFixture, flushed: list[str]
) -> None:
    def run() -> dict[str, Any]:
        metrics.add("LocksExpired")
        raise RuntimeError("table gone")

    with caplog.at_level(logging.INFO, logger="nodeplane.worker"), pytest.raises(RuntimeError):
        invocation.scheduled(run)({}, None)
    (record,) = _records(caplog, "run")
    assert record.levelno == logging.ERROR and record.reason == "RuntimeError: table gone"  # type: ignore[attr-defined]
    assert record.exc_info is not None
    assert len(flushed) == 1


def _sqs_event(*bodies: dict[str, Any], redriven: bool = False) -> dict[str, Any]:
    records = []
    for i, body in enumerate(bodies):
        attributes = {"ApproximateReceiveCount": "2" if i else "1"}
        if redriven:
            attributes["DeadLetterQueueSourceArn"] = "arn:aws:sqs:us-east-1:123456789012:settlement"
        records.append(
            {
                "messageId": f"m-{i}",
                "receiptHandle": f"r-{i}",
                "body": json.dumps(body),
                "attributes": attributes,
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:settlement",
            }
        )
    return {"Records": records}


def test_a_worker_logs_each_message_with_its_domain_id_and_reports_failures(
    caplog: pytest.LogCaptureFixture, flushed: list[str]
) -> None:
    def handle(record: Any, fields: dict[str, Any]) -> None:
        job = json.loads(record.body)
        fields["stackSmallId"] = job["stack"]
        if job["stack"] == 2:
            raise ValueError("ticket not found")
        fields["outcome"] = "Settled"
        metrics.add("Settlements", dimensions={"Outcome": "Settled"})

    handler = invocation.sqs_worker(handle, queue="SettlementQueue")
    with caplog.at_level(logging.INFO, logger="nodeplane.worker"):
        result = handler(_sqs_event({"stack": 1}, {"stack": 2}, redriven=True), None)
    assert result == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    ok, failed = _records(caplog, "record")
    assert (ok.messageId, ok.stackSmallId, ok.outcome, ok.coldStart) == ("m-0", 1, "Settled", True)  # type: ignore[attr-defined]
    assert (failed.messageId, failed.stackSmallId, failed.receiveCount) == ("m-1", 2, 2)  # type: ignore[attr-defined]
    assert failed.outcome == "failed" and failed.reason == "ValueError: ticket not found"  # type: ignore[attr-defined]
    assert len(flushed) == 1
    got = emf.series(flushed)
    assert got[("DlqRedrives", (("Queue", "SettlementQueue"),))] == [1, 1]
    assert got[("Settlements", (("Outcome", "Settled"),))] == [1]
