"""The resolver every HTTP handler is built on, and the Lambda entry point that wraps it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from nodeplane import freeze_heap
from nodeplane.api import access, bodies
from nodeplane.api.envelopes import Envelope, error_body, error_response
from nodeplane.errors import DomainError
from nodeplane.invocation import Entry
from nodeplane.settings import settings

logger = logging.getLogger("nodeplane.api")


@dataclass(frozen=True)
class Operation:
    """How a resolver answers what its handler never sees (read by ``handler()`` and the OpenAPI document)."""

    envelope: Envelope = "problem"
    invalid: int = 422
    raw_body: str | None = None


class _Request(threading.local):
    event: APIGatewayProxyEventV2 | None = None
    context: Any = None


class Resolver(APIGatewayHttpResolver):
    """Powertools keeps the request being resolved on its shared ``BaseRouter`` class; here each thread keeps its own.

    A Lambda container serves one request at a time, but the local runtime serves the warm containers of every
    function on threads of one process: without this, one request could route, validate or read the caller of
    another (tests/unit/test_resolver_threads.py).
    """

    _request = _Request()
    operation: Operation  # set by http_resolver()

    @property  # type: ignore[override]  # BaseRouter and APIGatewayHttpResolver annotate it differently
    def current_event(self) -> APIGatewayProxyEventV2:
        event = self._request.event
        assert event is not None, "no request is being resolved on this thread"
        return event

    @current_event.setter
    def current_event(self, event: APIGatewayProxyEventV2) -> None:
        self._request.event = event

    @property
    def lambda_context(self) -> Any:
        return self._request.context

    @lambda_context.setter
    def lambda_context(self, context: Any) -> None:
        self._request.context = context

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        outer = self._request.event, self._request.context  # a request resolved inside another one (tests)
        # as Powertools builds it (with the resolver's JSON deserializer), kept for this thread alone
        self._request.event = cast(APIGatewayProxyEventV2, self._to_proxy_event(dict(event)))
        self._request.context = context
        try:
            return super().resolve(event, context)
        finally:
            self._request.event, self._request.context = outer


def operation(app: APIGatewayHttpResolver) -> Operation:
    """The resolver's settings (kept on it, not in ``app.context``: Powertools clears that after every request)."""
    return getattr(app, "operation", None) or Operation()


def _describe(errors: list[dict[str, Any]], invalid: int) -> tuple[int, str]:
    """Turn pydantic errors into one readable sentence; malformed JSON and path ids are 400, the rest ``invalid``."""
    if any(e.get("type") == "json_invalid" for e in errors):
        err = next(e for e in errors if e.get("type") == "json_invalid")
        return 400, f"request body is not valid JSON ({err.get('ctx', {}).get('error', 'decode error')})"
    parts = []
    for e in errors[:10]:
        loc = ".".join(str(p) for p in e.get("loc", ()) if p != "body") or "body"
        parts.append(f"{loc}: {e.get('msg', e.get('type', 'invalid'))}")
    # a path that names no resource is a malformed request, whatever the operation answers for a bad body
    if all(e.get("loc", ("",))[0] == "path" for e in errors):
        invalid = 400
    return invalid, "; ".join(parts)


def http_resolver(
    envelope: Envelope = "problem",
    *,
    invalid: int = 422,
    invalid_code: str | None = None,
    failure: str | None = None,
    raw_body: str | None = None,
) -> Resolver:
    """A resolver with request validation, bounded bodies and every error in ``envelope``.

    ``invalid`` is the status a request that fails validation gets (each function serves one operation, so
    this is the operation's own: 400 where its contract lists 400, 422 where it lists 422); ``invalid_code``
    replaces the envelope's default code for it (the Atoma registration's ``InvalidBody``). ``failure`` is the
    text every 5xx of the operation answers (the daemon's "Failed to submit node task subscription tx"); the
    cause goes to the log with the request id. ``raw_body``: the handler reads the body itself, whatever its
    Content-Type, and a body that cannot be read answers 400 with this code.
    """
    app = Resolver(enable_validation=True, response_validation_error_http_code=500, json_body_deserializer=bodies.loads)
    app.operation = Operation(envelope, invalid, raw_body)

    def _server_error(status: int, detail: str, exc: BaseException, **kw: Any) -> Response[Any]:
        request_id = app.current_event.request_context.request_id
        logger.error(
            "%s %s failed (request %s): %s",
            app.current_event.http_method,
            app.current_event.path,
            request_id,
            detail,
            exc_info=exc,
            extra={"request_id": request_id, "status": status},
        )
        return error_response(app, envelope, status, failure or detail, **kw)

    @app.exception_handler(DomainError)
    def _domain(exc: DomainError) -> Response[Any]:
        if exc.status >= 500:
            return _server_error(exc.status, exc.detail, exc, title=exc.title, code=exc.code)
        return error_response(app, envelope, exc.status, exc.detail, title=exc.title, code=exc.code)

    @app.exception_handler(RequestValidationError)
    def _invalid(exc: RequestValidationError) -> Response[Any]:
        status, detail = _describe(list(exc.errors()), invalid)
        return error_response(app, envelope, status, detail, code=invalid_code if status == invalid else None)

    @app.not_found
    def _not_found(exc: Exception) -> Response[Any]:
        return error_response(
            app, envelope, 404, f"no route for {app.current_event.http_method} {app.current_event.path}"
        )

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response[Any]:
        return _server_error(500, "internal error; the request was not applied", exc)

    return app


def handler(app: APIGatewayHttpResolver) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """The Lambda entry point of a resolver (the last line of a handler module: its imports are done).

    Every invocation ends with one ``request`` record and the route's metrics (nodeplane.api.access).
    """

    envelope, raw_body = operation(app).envelope, operation(app).raw_body
    entry = Entry()
    freeze_heap()

    def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        started, cold = entry.begin()
        status = 500  # unless a response comes back
        try:
            try:
                # refused before validation: an oversized or unreadable body is never parsed
                event = bodies.check(event, settings().max_body_bytes, media_type=raw_body is None)
            except bodies.Refused as refused:
                response = _refusal(envelope, event, refused, raw_body if refused.status == 400 else None)
            else:
                response = app.resolve(event, context)
            status = int(response.get("statusCode", 200))
            return response
        finally:
            access.finish(event, status, started, cold)

    return lambda_handler


def _refusal(
    envelope: Envelope, event: dict[str, Any], refused: bodies.Refused, code: str | None = None
) -> dict[str, Any]:
    """The 4xx of a body refused before validation, in the request's envelope (``code`` replaces its default)."""
    content_type, text = error_body(envelope, refused.status, refused.detail, event.get("rawPath", ""), code=code)
    return {
        "statusCode": refused.status,
        "headers": {"Content-Type": content_type},
        "body": text,
        "isBase64Encoded": False,
    }
