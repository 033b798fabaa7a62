"""Event sources: SQS queues polled into their functions, and EventBridge schedules fired on timers."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import json
import logging
import threading
import time
import uuid
from typing import Any

from nodeplane_local.cron import CronSpec
from nodeplane_local.functions import Function
from nodeplane_local.template import ACCOUNT_ID, REGION, STACK_NAME, Physical, ScheduleSource, SqsSource, parse_schedule

log = logging.getLogger("nodeplane_local")


def sqs_records(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    """The Lambda SQS event for a batch received with ReceiveMessage."""
    records = []
    for msg in messages:
        attributes = {}
        for name, attr in (msg.get("MessageAttributes") or {}).items():
            value: dict[str, Any] = {"dataType": attr["DataType"], "stringListValues": [], "binaryListValues": []}
            if "StringValue" in attr:
                value["stringValue"] = attr["StringValue"]
            if "BinaryValue" in attr:
                value["binaryValue"] = base64.b64encode(attr["BinaryValue"]).decode()
            attributes[name] = value
        records.append(
            {
                "messageId": msg["MessageId"],
                "receiptHandle": msg["ReceiptHandle"],
                "body": msg["Body"],
                "attributes": msg.get("Attributes") or {},
                "messageAttributes": attributes,
                "md5OfBody": msg.get("MD5OfBody") or hashlib.md5(msg["Body"].encode()).hexdigest(),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": REGION,
            }
        )
    return {"Records": records}


def failed_ids(result: Any, report_failures: bool, batch: list[dict[str, Any]]) -> set[str]:
    """Messages to leave on the queue after a successful invocation (ReportBatchItemFailures semantics)."""
    if not report_failures or not isinstance(result, dict):
        return set()
    failures = result.get("batchItemFailures")
    if not failures:
        return set()
    ids = {m["MessageId"] for m in batch}
    failed: set[str] = set()
    for item in failures:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if identifier not in ids:
            # Lambda treats a malformed failure report as a failure of the whole batch
            return ids
        failed.add(str(identifier))
    return failed


class SqsPoller:
    """One thread per SQS event source, as Lambda's event source mapping polls."""

    def __init__(self, source: SqsSource, function: Function, queue: Physical, sqs: Any) -> None:
        self.source = source
        self.function = function
        self.queue_url = queue.ref
        self.queue_arn = queue.attrs["Arn"]
        self.sqs = sqs
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"sqs-{source.function}", daemon=True)

    def start(self) -> None:
        if self.source.enabled:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once(wait_seconds=1)
            except Exception:
                log.exception("sqs poller %s failed; retrying", self.source.function)
                self._stop.wait(1)

    def poll_once(self, wait_seconds: int = 0) -> dict[str, int]:
        """Receive one batch, invoke, delete what succeeded; returns counts (for the drain hook)."""
        response = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=max(1, min(self.source.batch_size, 10)),
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        batch = response.get("Messages") or []
        if not batch:
            return {"received": 0, "deleted": 0, "failed": 0}
        started = time.monotonic()
        try:
            result = self.function.invoke(sqs_records(batch, self.queue_arn))
        except Exception:
            # the whole batch fails: nothing is deleted, visibility timeout and redrive take over
            log.exception(
                "%s raised on a batch of %d; the batch returns to the queue", self.source.function, len(batch)
            )
            return {"received": len(batch), "deleted": 0, "failed": len(batch)}
        failed = failed_ids(result, self.source.report_failures, batch)
        done = [m for m in batch if m["MessageId"] not in failed]
        for i in range(0, len(done), 10):
            chunk = done[i : i + 10]
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(chunk)],
            )
        log.info(
            "SQS %s batch=%d failed=%d %.0fms",
            self.source.function,
            len(batch),
            len(failed),
            (time.monotonic() - started) * 1000,
        )
        return {"received": len(batch), "deleted": len(done), "failed": len(failed)}

    def drain(self) -> dict[str, int]:
        """Process batches until a receive comes back empty (messages left invisible by failures stay out)."""
        totals = {"batches": 0, "received": 0, "deleted": 0, "failed": 0}
        while True:
            counts = self.poll_once(wait_seconds=0)
            if counts["received"] == 0:
                return totals
            totals["batches"] += 1
            for key, value in counts.items():
                totals[key] += value


def scheduled_event(source: ScheduleSource, now: dt.datetime | None = None) -> Any:
    """The event EventBridge delivers: the rule's Input verbatim, or the Scheduled Event envelope."""
    if source.input is not None:
        return json.loads(source.input)
    return schedule_envelope(f"{STACK_NAME}-{source.function}-{source.event}", now=now)


def schedule_envelope(rule_name: str, *, now: dt.datetime | None = None, event_id: str | None = None) -> dict[str, Any]:
    """EventBridge's Scheduled Event for the rule ``rule_name`` (a fresh id, sent now, unless given)."""
    now = now or dt.datetime.now(dt.UTC)
    return {
        "version": "0",
        "id": event_id or str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{rule_name}"],
        "detail": {},
    }


class Scheduler:
    """One timer thread per schedule. `speedup` divides rate() intervals (cron times are kept as they are)."""

    def __init__(self, source: ScheduleSource, function: Function, speedup: float = 1.0) -> None:
        self.source = source
        self.function = function
        self.speedup = max(speedup, 1e-6)
        self.kind, self.value = parse_schedule(source.expression)
        self.fired = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"schedule-{source.function}", daemon=True)

    def start(self) -> None:
        if self.source.enabled:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _next_delay(self) -> float | None:
        if self.kind == "rate":
            return float(self.value) / self.speedup
        spec: CronSpec = self.value
        now = dt.datetime.now(dt.UTC)
        nxt = spec.next_after(now)
        return None if nxt is None else (nxt - now).total_seconds()

    def _run(self) -> None:
        while True:
            delay = self._next_delay()
            if delay is None or self._stop.wait(delay):
                return
            # fire() logged any error; the next tick comes regardless, as in EventBridge
            with contextlib.suppress(Exception):
                self.fire()

    def fire(self) -> Any:
        """Invoke once; an error is logged (EventBridge would retry, then give up), never raised into the timer."""
        started = time.monotonic()
        try:
            result = self.function.invoke(scheduled_event(self.source))
        except Exception:
            log.exception("schedule %s.%s: the function raised", self.source.function, self.source.event)
            raise
        finally:
            self.fired += 1
            log.info(
                "SCHEDULE %s %s %.0fms",
                self.source.function,
                self.source.expression,
                (time.monotonic() - started) * 1000,
            )
        return result
