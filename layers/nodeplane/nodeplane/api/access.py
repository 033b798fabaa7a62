"""One record and the route metrics per HTTP request, written by the entry point when the response is ready.

The record (logger ``nodeplane.request``, message ``request``) carries API Gateway's request id (the
``apigw-requestid`` the client sees), the route, the API, the tenant (the JWT subject, never a token), the status,
the latency, the cold-start flag and, for 4xx and 5xx, the error code and reason the envelope answered
(docs/operations.md). Lambda's JSON log format adds its own request id.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from nodeplane import metrics
from nodeplane.invocation import elapsed_ms

log = logging.getLogger("nodeplane.request")
APIS = ("v1", "proxy", "daemon")


class _Answer(threading.local):
    """The error the current request answered, as its envelope wrote it (one thread serves one request)."""

    error: tuple[str, str] | None = None


_answer = _Answer()


def note_error(code: str, reason: str) -> None:
    _answer.error = (code, reason)


def api_of(path: str) -> str:
    first = path.lstrip("/").split("/", 1)[0]
    return first if first in APIS else "other"


def finish(event: dict[str, Any], status: int, started: float, cold: bool) -> None:
    """Log the request's record and add its route metrics, then flush the invocation's metrics."""
    context = event.get("requestContext") or {}
    http = context.get("http") or {}
    route = event.get("routeKey") or f"{http.get('method', '')} {event.get('rawPath', '')}"
    api = api_of(event.get("rawPath") or http.get("path") or "")
    latency = elapsed_ms(started)
    error, _answer.error = _answer.error, None
    fields: dict[str, Any] = {
        "apigwRequestId": context.get("requestId"),
        "routeKey": route,
        "api": api,
        "status": status,
        "latencyMs": latency,
        "coldStart": cold,
    }
    sub = (((context.get("authorizer") or {}).get("jwt") or {}).get("claims") or {}).get("sub")
    if sub:
        fields["tenant"] = str(sub)
    if status >= 400:
        code, reason = error or ("INTERNAL_ERROR" if status >= 500 else "REQUEST_ERROR", "")
        fields["errorCode"], fields["reason"] = code, reason
    log.log(logging.ERROR if status >= 500 else logging.INFO, "request", extra=fields)
    dims, rollups = {"Api": api, "Route": route}, [("Api",)]
    metrics.add("Requests", dimensions=dims, rollups=rollups)
    metrics.add("ClientErrors", int(400 <= status < 500), dimensions=dims, rollups=rollups)
    metrics.add("ServerErrors", int(status >= 500), dimensions=dims, rollups=rollups)
    metrics.add("Latency", latency, "Milliseconds", dimensions=dims, rollups=rollups)
    metrics.flush()
