"""HTTP plumbing shared by every handler: the resolver factory, the caller's identity, error envelopes.

Three envelopes, one per API family:
- ``problem``: ``/v1``, an RFC 9457 problem nested under ``detail`` (what exalsius-api-client parses);
- ``atoma``: ``/proxy``, ``{"error": {"code", "message"}}`` as the Atoma proxy answers;
- ``daemon``: ``/daemon``, ``{"error": "..."}`` as the Atoma node daemon documents.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any, Literal

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict

from nodeplane import freeze_heap
from nodeplane.errors import DomainError, Unauthorized
from nodeplane.settings import settings

Envelope = Literal["problem", "atoma", "daemon"]
logger = logging.getLogger("nodeplane.api")

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    500: "Internal Server Error",
}
_ATOMA_CODES = {
    400: "REQUEST_ERROR",
    401: "AUTH_ERROR",
    404: "NOT_FOUND",
    413: "REQUEST_ERROR",
    415: "REQUEST_ERROR",
    422: "REQUEST_ERROR",
    500: "INTERNAL_ERROR",
}


def error_body(
    envelope: Envelope,
    status: int,
    detail: str,
    path: str,
    *,
    title: str | None = None,
    code: str | None = None,
) -> tuple[str, str]:
    """One error in the envelope of the API the request belongs to: (content type, JSON text)."""
    body: dict[str, Any]
    content_type = "application/json"
    if envelope == "problem":
        body = {
            "detail": {
                "type": "about:blank",
                "title": title or _TITLES.get(status, "Error"),
                "status": status,
                "detail": detail,
                "instance": path,
            }
        }
        content_type = "application/problem+json"
    elif envelope == "atoma":
        body = {"error": {"code": code or _ATOMA_CODES.get(status, "REQUEST_ERROR"), "message": detail}}
    else:
        body = {"error": detail}
    return content_type, json.dumps(body)


def error_response(
    app: APIGatewayHttpResolver,
    envelope: Envelope,
    status: int,
    detail: str,
    *,
    title: str | None = None,
    code: str | None = None,
) -> Response[Any]:
    content_type, body = error_body(envelope, status, detail, app.current_event.path, title=title, code=code)
    return Response(status_code=status, content_type=content_type, body=body)


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
    app = APIGatewayHttpResolver(enable_validation=True, response_validation_error_http_code=500)
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


def claims(app: APIGatewayHttpResolver) -> dict[str, Any]:
    authorizer = app.current_event.request_context.authorizer
    return dict(authorizer.jwt_claim or {}) if authorizer else {}


def tenant(app: APIGatewayHttpResolver) -> str:
    """The caller's tenant: the JWT subject the HttpApi authorizer verified."""
    sub = claims(app).get("sub")
    if not sub:
        raise Unauthorized("a valid bearer token is required")
    return str(sub)


def handler(app: APIGatewayHttpResolver) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """The Lambda entry point of a resolver (the last line of a handler module: its imports are done)."""

    envelope: Envelope = app.context.get("envelope", "problem")
    freeze_heap()

    def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        body = event.get("body")
        limit = settings().max_body_bytes
        if body is not None and len(body) > limit:
            # checked before validation, so an oversized body is never parsed
            content_type, text = error_body(
                envelope, 413, f"request body exceeds {limit} bytes", event.get("rawPath", "")
            )
            return {
                "statusCode": 413,
                "headers": {"Content-Type": content_type},
                "body": text,
                "isBase64Encoded": False,
            }
        return app.resolve(event, context)

    return lambda_handler


class Problem(BaseModel):
    model_config = ConfigDict(defer_build=True)  # read when the OpenAPI document is built, not per request

    type: str
    title: str
    status: int
    detail: str
    instance: str


class ProblemResponse(BaseModel):
    """The `/v1` error body: an RFC 9457 problem nested under ``detail``."""

    model_config = ConfigDict(defer_build=True)

    detail: Problem


def problems(*statuses: int) -> dict[int | str, Any]:
    """OpenAPI ``responses`` entries for the error statuses a `/v1` route can answer."""
    return {
        status: {
            "description": _TITLES.get(status, "Error"),
            "content": {"application/problem+json": {"model": ProblemResponse}},
        }
        for status in statuses
    }
