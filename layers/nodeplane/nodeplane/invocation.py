"""How an invocation begins and ends: the cold-start flag, one structured log record per unit of work, one
metrics flush (docs/operations.md lists the records' fields).

Records go through stdlib ``logging``: in Lambda the runtime's JSON log format (template.yaml's LoggingConfig)
writes each as one JSON object with the Lambda request id and the record's extra fields, and the local runtime
writes them the same way. The entry points: nodeplane.api's ``handler`` for HTTP, :func:`scheduled` for the
schedules and :func:`sqs_worker` for the queue workers; each is created once per container, so its first
invocation is the container's cold start.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from nodeplane import metrics

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

worker_log = logging.getLogger("nodeplane.worker")
Fields = dict[str, Any]


class Entry:
    """One function's entry point in one container: knows whether an invocation is the container's first."""

    def __init__(self) -> None:
        self._cold = True

    def begin(self) -> tuple[float, bool]:
        """(start time for :func:`elapsed_ms`, whether this is the cold start)."""
        cold, self._cold = self._cold, False
        return time.perf_counter(), cold


def elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def camel(fields: Fields) -> Fields:
    """``released_units`` -> ``releasedUnits``: the records' fields are camelCase, like Lambda's own."""
    out = {}
    for key, value in fields.items():
        head, *rest = key.split("_")
        out[head + "".join(part.title() for part in rest)] = value
    return out


def reason(exc: BaseException) -> str:
    """An exception as a log line's ``reason``: its type and first 300 characters."""
    return f"{type(exc).__name__}: {str(exc)[:300]}"


def scheduled(run: Callable[[], Fields]) -> Callable[[dict[str, Any], Any], Fields]:
    """The entry point of a schedule: one ``run`` record with what ``run()`` returned (its counts), one flush."""
    entry = Entry()

    def lambda_handler(event: dict[str, Any], context: Any) -> Fields:
        started, cold = entry.begin()
        try:
            result = run()
        except Exception as exc:
            worker_log.exception("run", extra={"outcome": "failed", "reason": reason(exc), "coldStart": cold})
            raise
        finally:
            metrics.flush()
        worker_log.info("run", extra={**camel(result), "latencyMs": elapsed_ms(started), "coldStart": cold})
        return result

    return lambda_handler


Handle = Callable[["SQSRecord", Fields], None]


def sqs_worker(handle: Handle, *, queue: str) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """The entry point of a queue worker: partial batch failures, one ``record`` line per message, one flush.

    ``handle(record, fields)`` does the work of one message; it puts the domain ids it learns (``stackSmallId``,
    ``nodeId``, ...) and its outcome into ``fields`` as it goes, so a failure is logged with them.
    """
    return sqs_batch_worker(lambda records: handle, queue=queue)


def sqs_batch_worker(
    prepare: Callable[[list[SQSRecord]], Handle], *, queue: str
) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """:func:`sqs_worker` for work done for the whole batch at once: ``prepare(records)`` runs first (it must not
    raise for one bad record) and returns the ``handle`` that then reports each record's own outcome, so a
    partial failure still returns only the failed records to the queue."""
    # imported here: only the workers pay for the batch utility at cold start
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    processor = BatchProcessor(event_type=EventType.SQS)
    entry = Entry()
    cold = False

    handle: Handle = lambda record, fields: None  # noqa: E731  (replaced by each batch's prepare)

    def one(record: SQSRecord) -> None:
        started = time.perf_counter()
        attributes = record.raw_event.get("attributes") or {}
        fields: Fields = {
            "messageId": record.message_id,
            "receiveCount": int(attributes.get("ApproximateReceiveCount", 1)),
            "coldStart": cold,
        }
        if attributes.get("DeadLetterQueueSourceArn"):
            fields["redriven"] = True
            metrics.add("DlqRedrives", dimensions={"Queue": queue})
        try:
            handle(record, fields)
        except Exception as exc:
            fields.update(outcome=fields.get("outcome", "failed"), reason=reason(exc), latencyMs=elapsed_ms(started))
            worker_log.warning("record", extra=fields, exc_info=True)
            raise
        fields["latencyMs"] = elapsed_ms(started)
        worker_log.info("record", extra=fields)

    def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        nonlocal cold, handle
        _, cold = entry.begin()
        try:
            handle = prepare([SQSRecord(r) for r in event.get("Records", [])])
            response = process_partial_response(event=event, record_handler=one, processor=processor, context=context)
            return dict(response)
        finally:
            metrics.flush()

    return lambda_handler
