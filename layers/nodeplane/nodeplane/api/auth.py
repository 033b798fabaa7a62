"""Caller identity for routes the HttpApi authorizer does not guard (the node-agent routes).

Such a route accepts either a user JWT, verified here exactly as the authorizer would (issuer, audience or
client_id, signature from the issuer's JWKS, expiry), or a node access token, which nodeplane issues itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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


def audience_matches(claims: Mapping[str, Any], audiences: Iterable[str]) -> bool:
    """API Gateway's JWT authorizer rule: ``aud`` must name a configured audience; only a token without ``aud``
    (a Cognito access token) is matched by its ``client_id`` instead."""
    wanted = set(audiences)
    aud = claims.get("aud")
    if aud is not None:
        return bool(wanted & {str(a) for a in (aud if isinstance(aud, list) else [aud])})
    client_id = claims.get("client_id")
    return client_id is not None and str(client_id) in wanted


def _issuer() -> str:
    return settings().jwt_issuer.rstrip("/")


@lru_cache(maxsize=1)
def _jwks(issuer: str) -> Any:
    import jwt

    if not issuer:
        raise Unauthorized("this deployment accepts no user tokens on this route")
    return jwt.PyJWKClient(f"{issuer}/.well-known/jwks.json", cache_keys=True, lifespan=3600)


def verify_user_token(token: str) -> dict[str, Any]:
    """Claims of a user JWT, checked like the API Gateway JWT authorizer checks them.

    Refusals say which check failed in nodeplane's words; the JWT library's own messages stay in the log."""
    import jwt

    try:
        key = _jwks(_issuer()).get_signing_key_from_jwt(token)
        claims = dict(
            jwt.decode(
                token,
                key.key,
                algorithms=["RS256", "ES256"],
                issuer=_issuer() or None,
                options={"require": ["exp", "sub"], "verify_aud": False},
            )
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("the bearer token has expired") from None
    except jwt.PyJWTError:
        raise Unauthorized("the bearer token is not valid for this API") from None
    except Unauthorized:
        raise
    except Exception as exc:  # JWKS unreachable: the caller cannot be verified
        raise Unauthorized("the bearer token could not be verified") from exc
    if not audience_matches(claims, [settings().jwt_audience]):
        raise Unauthorized("the bearer token is not valid for this API")
    return claims
