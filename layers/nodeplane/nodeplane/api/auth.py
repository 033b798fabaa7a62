"""Caller identity for routes the HttpApi authorizer does not guard (the node-agent routes).

Such a route accepts either a user JWT, verified here exactly as the authorizer would (issuer, audience,
signature from the issuer's JWKS, expiry), or a node access token, which nodeplane issues itself.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from nodeplane.errors import Unauthorized
from nodeplane.settings import settings


def bearer(app: APIGatewayHttpResolver) -> str | None:
    value = app.current_event.headers.get("authorization") or app.current_event.headers.get("Authorization")
    if not value or not value.lower().startswith("bearer "):
        return None
    return value[7:].strip() or None


def _issuer() -> str:
    return settings().jwt_issuer.rstrip("/")


@lru_cache(maxsize=1)
def _jwks(issuer: str) -> Any:
    import jwt

    if not issuer:
        raise Unauthorized("this deployment accepts no user tokens on this route")
    return jwt.PyJWKClient(f"{issuer}/.well-known/jwks.json", cache_keys=True, lifespan=3600)


def verify_user_token(token: str) -> dict[str, Any]:
    """Claims of a user JWT, checked like the API Gateway JWT authorizer checks them."""
    import jwt

    try:
        key = _jwks(_issuer()).get_signing_key_from_jwt(token)
        return dict(
            jwt.decode(
                token,
                key.key,
                algorithms=["RS256", "ES256"],
                audience=settings().jwt_audience or None,
                issuer=_issuer() or None,
                options={"require": ["exp", "sub"]},
            )
        )
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"invalid bearer token ({exc})") from exc
    except Unauthorized:
        raise
    except Exception as exc:  # JWKS unreachable: the caller cannot be verified
        raise Unauthorized("the bearer token could not be verified") from exc
