"""The resolver every HTTP handler is built on, and the Lambda entry point that wraps it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from nodeplane import freeze_heap
from nodeplane.api import access, bodies
from nodeplane.api.envelopes import Envelope, error_body, error_response
from nodeplane.errors import DomainError
from nodeplane.invocation import Entry
from nodeplane.settings import settings

logger = logging.getLogger("nodeplane.api")


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


def http_resolver(envelope: Envelope = "problem") -> APIGatewayHttpResolver:
    """A resolver with request validation, bounded bodies and every error in ``envelope``."""
    app = APIGatewayHttpResolver(
        enable_validation=True, response_validation_error_http_code=500, json_body_deserializer=bodies.loads
    )
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
