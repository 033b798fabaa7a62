"""Build API Gateway HTTP API (payload 2.0), SQS and schedule events and invoke handlers in-process, as Lambda would."""

from __future__ import annotations

import importlib.util
import json
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]

# Warm "containers" per function: like Lambda, one container serves one request at a time, and a
# request that finds every container busy gets a new one (a cold start). Handler modules keep
# per-request state (the resolver's current event), so two threads must never share one.
_idle: dict[str, list[Any]] = {}
_count: dict[str, int] = {}
_lock = threading.Lock()


def _load(name: str) -> Any:
    _count[name] = _count.get(name, 0) + 1
    path = ROOT / "functions" / name / "app.py"
    spec = importlib.util.spec_from_file_location(f"fn_{name}_{_count[name]}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def load_function(name: str) -> Any:
    """A warm container of functions/<name>/app.py (for tests that need the module itself)."""
    with _lock:
        pool = _idle.setdefault(name, [])
        if not pool:
            pool.append(_load(name))
        return pool[-1]


@contextmanager
def container(name: str) -> Iterator[Any]:
    with _lock:
        pool = _idle.setdefault(name, [])
        module = pool.pop() if pool else _load(name)
    try:
        yield module
    finally:
        with _lock:
            _idle[name].append(module)


@dataclass
class Context:
    function_name: str = "test"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:test"
    aws_request_id: str = ""

    def get_remaining_time_in_millis(self) -> int:
        return 15000


def http_event(
    method: str,
    route: str,
    path_params: dict[str, str] | None = None,
    *,
    query: dict[str, Any] | None = None,
    body: Any = None,
    raw_body: str | None = None,
    tenant: str | None = "tenant-a",
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    path = route
    for key, value in (path_params or {}).items():
        path = path.replace("{" + key + "}", value)
    if raw_body is None and body is not None:
        raw_body = json.dumps(body)
    qs = {k: v for k, v in (query or {}).items() if v is not None}
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": f"{method} {route}",
        "rawPath": path,
        "rawQueryString": urlencode(qs, doseq=True),
        "headers": {"content-type": "application/json", **(headers or {})},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": "127.0.0.1",
            "domainPrefix": "127",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "tests",
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": f"{method} {route}",
            "stage": "$default",
            "time": "23/Nov/2026:06:00:00 +0000",
            "timeEpoch": 0,
        },
        "isBase64Encoded": False,
    }
    if qs:
        event["queryStringParameters"] = {
            k: ",".join(map(str, v)) if isinstance(v, list) else str(v) for k, v in qs.items()
        }
    if path_params:
        event["pathParameters"] = path_params
    if raw_body is not None:
        event["body"] = raw_body
    if tenant is not None:
        event["requestContext"]["authorizer"] = {"jwt": {"claims": {"sub": tenant}, "scopes": None}}
    return event


def sqs_event(messages: list[dict[str, Any]], *, queue: str = "settlement") -> dict[str, Any]:
    """The event Lambda's SQS poller hands a function for ``messages`` (as ``receive_message`` returns them)."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "0"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:us-east-1:123456789012:{queue}",
                "awsRegion": "us-east-1",
            }
            for m in messages
        ]
    }


def schedule_event() -> dict[str, Any]:
    """The event an EventBridge schedule sends."""
    return {"source": "aws.events", "detail-type": "Scheduled Event"}


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Any


def invoke(function: str, event: dict[str, Any]) -> Reply:
    with container(function) as module:
        result = module.lambda_handler(event, Context(aws_request_id=str(uuid.uuid4())))
    raw = result.get("body")
    try:
        body = json.loads(raw) if raw else None
    except json.JSONDecodeError:
        body = raw
    return Reply(result["statusCode"], result.get("headers") or {}, body)
