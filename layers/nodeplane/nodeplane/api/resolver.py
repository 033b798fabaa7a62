"""The resolver every HTTP handler is built on, and the Lambda entry point that wraps it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
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


def _describe(errors: list[dict[str, Any]]) -> tuple[int, str]:
    """Turn pydantic errors into one readable sentence; malformed JSON is a 400, the rest 422."""
    if any(e.get("type") == "json_invalid" for e in errors):
        err = next(e for e in errors if e.get("type") == "json_invalid")
        return 400, f"request body is not valid JSON ({err.get('ctx', {}).get('error', 'decode error')})"
    parts = []
    for e in errors[:10]:
        loc = ".".join(str(p) for p in e.get("loc", ()) if p != "body") or "body"
        parts.append(f"{loc}: {e.get('msg', e.get('type', 'invalid'))}")
    return 422, "; ".join(parts)


def http_resolver(envelope: Envelope = "problem") -> Resolver:
    """A resolver with request validation, bounded bodies and every error in ``envelope``."""
    app = Resolver(enable_validation=True, response_validation_error_http_code=500, json_body_deserializer=bodies.loads)
    app.context["envelope"] = envelope

    @app.exception_handler(DomainError)
    def _domain(exc: DomainError) -> Response[Any]:
        return error_response(app, envelope, exc.status, exc.detail, title=exc.title, code=exc.code)

    @app.exception_handler(RequestValidationError)
    def _invalid(exc: RequestValidationError) -> Response[Any]:
        status, detail = _describe(list(exc.errors()))
        return error_response(app, envelope, status, detail)

    @app.not_found
    def _not_found(exc: Exception) -> Response[Any]:
        return error_response(
            app, envelope, 404, f"no route for {app.current_event.http_method} {app.current_event.path}"
        )

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response[Any]:
        logger.exception("unhandled error")
        return error_response(app, envelope, 500, "internal error; the request was not applied")

    return app


def handler(app: APIGatewayHttpResolver) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """The Lambda entry point of a resolver (the last line of a handler module: its imports are done).

    Every invocation ends with one ``request`` record and the route's metrics (nodeplane.api.access).
    """

    envelope: Envelope = app.context.get("envelope", "problem")
    entry = Entry()
    freeze_heap()

    def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        started, cold = entry.begin()
        status = 500  # unless a response comes back
        try:
            try:
                # refused before validation: an oversized or unreadable body is never parsed
                event = bodies.check(event, settings().max_body_bytes)
            except bodies.Refused as refused:
                response = _refusal(envelope, event, refused)
            else:
                response = app.resolve(event, context)
            status = int(response.get("statusCode", 200))
            return response
        finally:
            access.finish(event, status, started, cold)

    return lambda_handler


def _refusal(envelope: Envelope, event: dict[str, Any], refused: bodies.Refused) -> dict[str, Any]:
    """The 4xx of a body refused before validation, in the request's envelope."""
    content_type, text = error_body(envelope, refused.status, refused.detail, event.get("rawPath", ""))
    return {
        "statusCode": refused.status,
        "headers": {"Content-Type": content_type},
        "body": text,
        "isBase64Encoded": False,
    }
