"""The local runtime's log: Lambda's JSON shape (--log-format json) or the same record readably."""

from __future__ import annotations

import io
import json
import logging

import pytest

from nodeplane import metrics
from nodeplane_local import logs


def _emit(log_format: logs.LogFormat, *, exc: bool = False) -> str:
    stream = io.StringIO()
    logger = logging.getLogger("nodeplane.request.test")
    logger.propagate = False
    logger.addHandler(logs.handler(log_format, stream))
    logger.setLevel(logging.INFO)
    try:
        with logs.invocation("req-1", "NodesListFunction"):
            if exc:
                try:
                    raise RuntimeError("boom")
                except RuntimeError:
                    logger.exception("request", extra={"status": 500})
            else:
                logger.info("request", extra={"status": 200, "routeKey": "GET /v1/nodes", "latencyMs": 3.5})
        logger.info("outside")  # no invocation: no request id
    finally:
        logger.handlers.clear()
    return stream.getvalue()


def test_json_has_lambdas_fields_then_the_records_own() -> None:
    first, outside = (json.loads(line) for line in _emit("json").splitlines())
    assert list(first)[:6] == ["timestamp", "level", "message", "logger", "requestId", "function"]
    assert (first["requestId"], first["function"], first["status"], first["routeKey"]) == (
        "req-1",
        "NodesListFunction",
        200,
        "GET /v1/nodes",
    )
    assert first["timestamp"].endswith("Z") and first["level"] == "INFO"
    assert "requestId" not in outside and outside["message"] == "outside"


def test_json_carries_the_exception_as_lambda_does() -> None:
    record = json.loads(_emit("json", exc=True).splitlines()[0])
    assert (record["errorType"], record["errorMessage"], record["level"]) == ("RuntimeError", "boom", "ERROR")
    assert any("raise RuntimeError" in frame for frame in record["stackTrace"])


def test_text_is_one_readable_line_with_the_same_fields() -> None:
    line = _emit("text").splitlines()[0]
    assert "INFO  NodesListFunction request  status=200 routeKey=GET /v1/nodes latencyMs=3.5 requestId=req-1" in line


@pytest.mark.parametrize("log_format", logs.FORMATS)
def test_setup_routes_metrics_by_format(log_format: logs.LogFormat, monkeypatch: pytest.MonkeyPatch) -> None:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level, metrics.sink)
    stream = io.StringIO()
    try:
        logs.setup(log_format, logging.DEBUG, stream)
        metrics.discard()  # what earlier tests on this worker added and never flushed
        metrics.add("LocksGranted")
        metrics.flush()
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
        metrics.sink = saved[2]
    out = stream.getvalue().strip()
    if log_format == "json":
        assert json.loads(out)["LocksGranted"] == 1 and "_aws" in json.loads(out)
    else:
        assert out.endswith("metrics LocksGranted=1")
