"""Build the events Lambda delivers (API Gateway HTTP API payload 2.0, SQS batches, EventBridge schedules) and
invoke handlers in-process, as Lambda would.

The events come from the local runtime's gateway (`nodeplane_local.gateway.build_event`) and the warm containers
from its `Function`, so a handler sees here what it sees behind `make run`.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from nodeplane_local.functions import Function
from nodeplane_local.gateway import Match, build_event
from nodeplane_local.harness.aws import template
from nodeplane_local.template import HttpRoute
from nodeplane_local.workers import ACCOUNT_ID, REGION, schedule_envelope, sqs_records

# the moment every test event is sent at (events/ samples are stable across `make events` runs)
SENT_AT = dt.datetime(2026, 11, 23, 6, 0, tzinfo=dt.UTC).timestamp()
QUEUE_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:nodeplane-queue"

_functions: dict[str, Function] = {}
_lock = threading.Lock()


def _function(name: str) -> Function:
    """functions/<name> as the template declares it, with its pool of warm containers."""
    with _lock:
        if not _functions:
            _functions.update({spec.code_uri.name: Function(spec) for spec in template().functions.values()})
        return _functions[name]


def load_function(name: str) -> Any:
    """A warm container of functions/<name>/app.py (for tests that need the module itself)."""
    return _function(name).module()


@contextmanager
def container(name: str) -> Iterator[Any]:
    """A container of its own for the duration (like Lambda, one container serves one request at a time)."""
    function = _function(name)
    module = function.acquire()
    try:
        yield module
    finally:
        function.release(module)


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
    sent_headers = {"host": "127.0.0.1", "user-agent": "tests", "content-type": "application/json"}
    sent_headers |= {name.lower(): value for name, value in (headers or {}).items()}
    return build_event(
        method=method,
        raw_path=path,
        raw_query=urlencode(qs, doseq=True),
        headers=list(sent_headers.items()),
        body=(raw_body or "").encode(),
        source_ip="127.0.0.1",
        match=Match(HttpRoute("", method, route, None), path_params or {}),
        authorizer=None if tenant is None else {"jwt": {"claims": {"sub": tenant}, "scopes": None}},
        now=SENT_AT,
    )


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


def sqs_event(bodies: list[dict | str], *, queue_arn: str = QUEUE_ARN) -> dict[str, Any]:
    """The event an SQS event source delivers for one batch; a dict body is sent as JSON, a string as it is.
    Each record gets a fresh ``messageId`` (what ``batchItemFailures`` names)."""
    return sqs_records([sqs_message(body) for body in bodies], queue_arn)


def sqs_message(
    body: dict | str, *, message_id: str | None = None, receipt_handle: str | None = None, sent_ms: int | None = None
) -> dict[str, Any]:
    """One message as ``receive_message`` returns it (fresh ids, sent now, unless given)."""
    sent = str(sent_ms if sent_ms is not None else int(dt.datetime.now(dt.UTC).timestamp() * 1000))
    return {
        "MessageId": message_id or str(uuid.uuid4()),
        "ReceiptHandle": receipt_handle or uuid.uuid4().hex,
        "Body": body if isinstance(body, str) else json.dumps(body),
        "Attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": sent,
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": sent,
        },
    }


def received_event(messages: list[dict[str, Any]], *, queue_arn: str = QUEUE_ARN) -> dict[str, Any]:
    """The SQS event for messages as ``receive_message`` returned them (what the event-source mapping hands over)."""
    return sqs_records(messages, queue_arn)


def schedule_event(rule_name: str = "nodeplane-schedule", *, input: dict | None = None) -> dict[str, Any]:
    """What an EventBridge schedule delivers: the rule's constant ``input`` if it has one, else the Scheduled
    Event envelope."""
    if input is not None:
        return input
    return schedule_envelope(rule_name)


def drain(queue_url: str, function: str, rounds: int, *, queue_arn: str = QUEUE_ARN) -> None:
    """A minimal SQS event-source mapping (ReportBatchItemFailures): receive a batch, invoke ``function`` with it,
    delete all but the reported failures; a raising invocation returns the whole batch to the queue."""
    import boto3

    sqs = boto3.client("sqs")
    for _ in range(rounds):
        msgs = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0, AttributeNames=["All"]
        ).get("Messages", [])
        if not msgs:
            continue
        event = received_event(msgs, queue_arn=queue_arn)
        try:
            with container(function) as module:
                result = module.lambda_handler(event, Context(aws_request_id=str(uuid.uuid4())))
            failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        except Exception:
            failed = {r["messageId"] for r in event["Records"]}
        for m in msgs:
            if m["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
