"""The caller on routes the HttpApi JWT authorizer guards: the claims it verified, the tenant they name, and the
name of the request itself."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from nodeplane.errors import Unauthorized


def claims(app: APIGatewayHttpResolver) -> dict[str, Any]:
    authorizer = app.current_event.request_context.authorizer
    return dict(authorizer.jwt_claim or {}) if authorizer else {}


def tenant(app: APIGatewayHttpResolver) -> str:
    """The caller's tenant: the JWT subject the HttpApi authorizer verified."""
    sub = claims(app).get("sub")
    if not sub:
        raise Unauthorized("a valid bearer token is required")
    return str(sub)


def request_key(app: APIGatewayHttpResolver) -> str:
    """What names this request for idempotency: the client's ``Idempotency-Key`` header (a retry it sends again),
    else API Gateway's request id (the same event delivered twice)."""
    event = app.current_event
    return str(event.headers.get("idempotency-key") or event.request_context.request_id)
