"""A local OpenID issuer and the HttpApi JWT authorizer's checks, so tokens behave locally as they do in AWS."""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from nodeplane.api.auth import audience_matches

AUDIENCE = "nodeplane"
ISSUER_PATH = "/local-issuer"
KEY_ID = "nodeplane-local-1"


def issuer_url(host: str, port: int) -> str:
    return f"http://{host}:{port}{ISSUER_PATH}"


class Issuer:
    """An RSA key kept in <data-dir>/issuer/ so tokens printed before a restart stay valid after it."""

    def __init__(self, data_dir: Path, url: str, audience: str = AUDIENCE) -> None:
        self.url = url
        self.audience = audience
        self.key = _load_or_create(data_dir / "issuer" / "private_key.pem")
        self.public_key = self.key.public_key()

    def token(self, tenant: str, ttl_seconds: int = 12 * 3600, scopes: list[str] | None = None, **claims: Any) -> str:
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": self.url,
            "aud": self.audience,
            "sub": tenant,
            "iat": now,
            "nbf": now,
            "exp": now + ttl_seconds,
            "jti": str(uuid.uuid4()),
            "token_use": "access",
        }
        if scopes:
            payload["scope"] = " ".join(scopes)
        payload.update(claims)
        payload = {k: v for k, v in payload.items() if v is not None}  # aud=None: a token without aud
        return jwt.encode(payload, self.key, algorithm="RS256", headers={"kid": KEY_ID})

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.public_key))
        return {"keys": [jwk | {"kid": KEY_ID, "use": "sig", "alg": "RS256"}]}

    def openid_configuration(self) -> dict[str, Any]:
        return {
            "issuer": self.url,
            "jwks_uri": f"{self.url}/.well-known/jwks.json",
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["token"],
            "subject_types_supported": ["public"],
        }


def _load_or_create(key_file: Path) -> rsa.RSAPrivateKey:
    if not key_file.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        key_file.parent.mkdir(parents=True, exist_ok=True)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        # written aside and linked into place: a second process racing us never reads half a key, and the
        # first one to link wins so both end up signing with the same key
        tmp = key_file.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(pem)
        tmp.chmod(0o600)
        try:
            os.link(tmp, key_file)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    loaded = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    if not isinstance(loaded, rsa.RSAPrivateKey):
        raise ValueError(f"{key_file} is not an RSA key")
    return loaded


@dataclass(frozen=True)
class Authorized:
    claims: dict[str, str]
    scopes: list[str] | None


class AuthError(Exception):
    """401 (no or bad token) or 403 (a valid token without a required scope), like the HttpApi authorizer;
    ``reason`` says in nodeplane's words (never the JWT library's) which check failed."""

    def __init__(self, status: int, reason: str | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.reason = reason


def _unverified(token: str) -> dict[str, Any]:
    """The claims of a token that failed a check, to name what it carries (its signature is not trusted)."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}
    return claims if isinstance(claims, dict) else {}


def _rejection(exc: jwt.PyJWTError, token: str, issuer: str) -> str:
    claims = _unverified(token)
    if isinstance(exc, jwt.ExpiredSignatureError):
        expired = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(claims.get("exp", 0))))
        return f"the token expired at {expired}; get a new one (make -s token)"
    if isinstance(exc, jwt.ImmatureSignatureError):
        return "the token is not valid yet (nbf or iat in the future)"
    if isinstance(exc, jwt.InvalidIssuerError):
        found = claims.get("iss")
        return f"the token's issuer is {found!r}, this API accepts {issuer!r} (a token made for another PORT?)"
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return f"the token has no {exc.claim!r} claim"
    return "the token is not a JWT signed by this API's issuer"


def _claim_string(value: Any) -> str:
    # API Gateway hands every claim to the function as a string; arrays look like "[a b]"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + " ".join(_claim_string(v) for v in value) + "]"
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def verify(
    authorization: str | None,
    public_key: Any,
    issuer: str,
    audiences: list[str],
    required_scopes: tuple[str, ...] = (),
) -> Authorized:
    """The checks the HttpApi JWT authorizer makes: signature, iss, aud (or client_id), exp, nbf, scopes."""
    if not authorization:
        raise AuthError(401)
    scheme, _, token = authorization.strip().partition(" ")
    # API Gateway accepts the token with or without the Bearer prefix
    token = token.strip() if scheme.lower() == "bearer" else authorization.strip()
    try:
        claims = jwt.decode(
            token,
            public_key,
            algorithms=["RS256"],
            issuer=issuer,
            options={"verify_aud": False, "require": ["exp", "iss"]},
            leeway=0,
        )
    except jwt.PyJWTError as exc:
        raise AuthError(401, _rejection(exc, token, issuer)) from None
    if not audience_matches(claims, audiences):
        aud = claims.get("aud") or claims.get("client_id")
        raise AuthError(401, f"the token's audience {aud!r} is none of this API's {audiences}")
    raw_scopes = claims.get("scope", claims.get("scp"))
    scopes: list[str] | None = None
    if isinstance(raw_scopes, str):
        scopes = raw_scopes.split()
    elif isinstance(raw_scopes, list):
        scopes = [str(s) for s in raw_scopes]
    if required_scopes and not set(required_scopes) & set(scopes or []):
        raise AuthError(403)
    return Authorized({k: _claim_string(v) for k, v in claims.items()}, scopes)
