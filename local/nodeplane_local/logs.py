"""The runtime's log: every record of the functions, the libraries and the runtime, one line each.

``json`` writes what a function's CloudWatch log holds with template.yaml's JSON log format: Lambda's fields
(``timestamp``, ``level``, ``message``, ``logger``, ``requestId``, and for an exception ``errorType``,
``errorMessage``, ``stackTrace``) followed by the record's own fields, plus ``function``, since here every function
writes to one stream; and the functions' metrics as the raw embedded-metric-format lines. ``text`` (the default)
writes the same records readably, ``12:00:01 INFO  PoolNodesListFunction request  status=200 latencyMs=3.2 …``,
and the metrics only at ``--log-level DEBUG``.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

from nodeplane import metrics

LogFormat = Literal["text", "json"]
FORMATS: tuple[LogFormat, ...] = ("text", "json")
# the attributes every LogRecord has; anything else on a record is a field it was given (``extra``)
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "aws_request_id", "function"}


class _Invocation(threading.local):
    request_id: str = ""
    function: str = ""


_current = _Invocation()


@contextmanager
def invocation(request_id: str, function: str) -> Iterator[None]:
    """Records written on this thread meanwhile carry the invocation's request id, as Lambda's runtime adds it."""
    previous = (_current.request_id, _current.function)
    _current.request_id, _current.function = request_id, function
    try:
        yield
    finally:
        _current.request_id, _current.function = previous


class _InvocationFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = _current.request_id
        record.function = _current.function
        return True


def fields(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD}


class JsonFormatter(logging.Formatter):
    """A record as Lambda's JSON log format writes it, with the function's name."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "level": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
            "requestId": getattr(record, "aws_request_id", "") or None,
            "function": getattr(record, "function", "") or None,
        }
        if record.exc_info and record.exc_info[0] is not None:
            out["errorType"] = record.exc_info[0].__name__
            out["errorMessage"] = str(record.exc_info[1])
            out["stackTrace"] = traceback.format_tb(record.exc_info[2])
        out.update((k, v) for k, v in fields(record).items() if k not in out)
        return json.dumps({k: v for k, v in out.items() if v is not None}, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The same record on one readable line: time, level, function, message, then its fields."""

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        function = getattr(record, "function", "")
        head = f"{when} {record.levelname:<5} {function + ' ' if function else ''}{record.getMessage()}"
        extra = " ".join(f"{k}={v}" for k, v in fields(record).items())
        request = getattr(record, "aws_request_id", "")
        line = f"{head}  {extra}" if extra else head
        if request and extra:
            line += f" requestId={request}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def handler(log_format: LogFormat, stream: TextIO) -> logging.StreamHandler[TextIO]:
    """A handler writing records in ``log_format``, each with the request id of the invocation that wrote it."""
    out = logging.StreamHandler(stream)
    out.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    out.addFilter(_InvocationFilter())
    return out


def setup(log_format: LogFormat = "text", level: int = logging.INFO, stream: TextIO | None = None) -> None:
    """Send every record (nodeplane's, the libraries', the runtime's) and the metrics through one formatter."""
    out = handler(log_format, stream or sys.stderr)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(out)
    root.setLevel(level)
    for noisy in ("werkzeug", "botocore", "boto3", "urllib3"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    metrics_log = logging.getLogger("nodeplane.metrics")
    if log_format == "json":
        # as in a function's CloudWatch log: the embedded-metric-format line itself
        def raw(line: str) -> None:
            out.acquire()
            try:
                out.stream.write(line + "\n")
                out.flush()
            finally:
                out.release()

        metrics.sink = raw
    else:
        metrics.sink = lambda line: metrics_log.debug("metrics %s", _summary(line))


def _summary(line: str) -> str:
    doc = json.loads(line)
    names = [m["Name"] for d in doc["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]]
    dims = sorted({k for d in doc["_aws"]["CloudWatchMetrics"] for s in d["Dimensions"] for k in s})
    values = " ".join(f"{n}={doc[n]}" for n in names)
    return values + ("  " + " ".join(f"{k}={doc[k]}" for k in dims) if dims else "")
