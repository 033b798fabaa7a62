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


def problems(*statuses: int) -> dict[int | str, Any]:
    """OpenAPI ``responses`` entries for the error statuses a `/v1` route can answer."""
    return {
        status: {
            "description": _TITLES.get(status, "Error"),
            "content": {"application/problem+json": {"model": ProblemResponse}},
        }
        for status in statuses
    }
