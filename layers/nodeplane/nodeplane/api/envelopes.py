"""Error bodies in the envelope of each API family, and the `/v1` problem models for the OpenAPI document.

- ``problem``: ``/v1``, an RFC 9457 problem nested under ``detail`` (what exalsius-api-client parses);
- ``atoma``: ``/proxy``, ``{"error": {"code", "message"}}`` as the Atoma proxy answers;
- ``daemon``: ``/daemon``, ``{"error": "..."}`` as the Atoma node daemon documents.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from pydantic import BaseModel, ConfigDict

from nodeplane.api import access

Envelope = Literal["problem", "atoma", "daemon"]

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    423: "Locked",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
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
    code = code or _ATOMA_CODES.get(status, "REQUEST_ERROR")
    access.note_error(code, detail)  # the request's record names the error it answered
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
        body = {"error": {"code": code, "message": detail}}
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


# The proxy's answer when no node can take the request now: a 503 the client retries, in the Atoma envelope
ATOMA_UNAVAILABLE: dict[int | str, Any] = {
    503: {
        "description": "No node can serve the model with confidential compute now; retry later",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message"],
                            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                        }
                    },
                }
            }
        },
    }
}


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


class AtomaErrorDetail(BaseModel):
    model_config = ConfigDict(defer_build=True)

    code: str
    message: str


class AtomaError(BaseModel):
    """The `/proxy` error body, as the Atoma proxy answers: ``{"error": {"code", "message"}}``."""

    model_config = ConfigDict(defer_build=True)

    error: AtomaErrorDetail


class DaemonError(BaseModel):
    """The `/daemon` error body, as the node daemon documents it: ``{"error": "..."}``."""

    model_config = ConfigDict(defer_build=True)

    error: str


_ERROR_MODELS: dict[str, tuple[str, type[BaseModel]]] = {
    "problem": ("application/problem+json", ProblemResponse),
    "atoma": ("application/json", AtomaError),
    "daemon": ("application/json", DaemonError),
}


def problems(*statuses: int) -> dict[int | str, Any]:
    """OpenAPI ``responses`` entries for the error statuses a `/v1` route can answer."""
    return errors("problem", *statuses)


def errors(envelope: Envelope, *statuses: int) -> dict[int | str, Any]:
    """OpenAPI ``responses`` entries for error statuses, each in the envelope of the API (and 500, always)."""
    content_type, model = _ERROR_MODELS[envelope]
    return {
        status: {"description": _TITLES.get(status, "Error"), "content": {content_type: {"model": model}}}
        for status in sorted({*statuses, 500})
    }


def documented(
    envelope: Envelope,
    status: int,
    description: str,
    *error_statuses: int,
    headers: dict[str, str] | None = None,
) -> dict[int | str, Any]:
    """Every response of an operation: its success (schema from the handler's return type, ``headers`` named
    with a description each) and its errors in the API's envelope."""
    success: dict[str, Any] = {"description": description}
    if headers:
        success["headers"] = {
            name: {"description": text, "schema": {"type": "string"}} for name, text in headers.items()
        }
    return {status: success, **errors(envelope, *error_statuses)}


def error_schemas(envelope: Envelope) -> tuple[str, str, dict[str, Any]]:
    """The error body of an API for an OpenAPI document: (content type, schema name, component schemas)."""
    content_type, model = _ERROR_MODELS[envelope]
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas = schema.pop("$defs", {})
    schemas[model.__name__] = schema
    return content_type, model.__name__, schemas
