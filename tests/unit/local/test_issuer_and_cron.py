"""The JWT authorizer's checks, the local issuer's key handling, and EventBridge cron expressions."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from nodeplane_local.cron import CronError, CronSpec
from nodeplane_local.issuer import AuthError, Issuer, verify

URL = "http://127.0.0.1:3000/local-issuer"


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> Issuer:
    return Issuer(tmp_path_factory.mktemp("data"), URL)


def check(issuer: Issuer, header: str | None, scopes: tuple[str, ...] = ()) -> object:
    return verify(header, issuer.public_key, URL, ["nodeplane"], scopes)


def test_a_good_token_yields_string_claims_and_scopes(issuer: Issuer) -> None:
    token = issuer.token("alice", scopes=["nodes.read", "nodes.write"], groups=["a", "b"], admin=True)
    result = verify(f"Bearer {token}", issuer.public_key, URL, ["nodeplane"])
    assert result.claims["sub"] == "alice"
    assert result.claims["iss"] == URL
    assert isinstance(result.claims["exp"], str)
    assert result.claims["groups"] == "[a b]"
    assert result.claims["admin"] == "true"
    assert result.scopes == ["nodes.read", "nodes.write"]


def test_no_scope_claim_means_scopes_none(issuer: Issuer) -> None:
    assert verify(f"Bearer {issuer.token('a')}", issuer.public_key, URL, ["nodeplane"]).scopes is None


@pytest.mark.parametrize(
    "make",
    [
        lambda i: None,
        lambda i: "",
        lambda i: "Bearer ",
        lambda i: "Bearer garbage",
        lambda i: f"Bearer {i.token('a', exp=int(time.time()) - 5)}",
        lambda i: f"Bearer {i.token('a', nbf=int(time.time()) + 3600)}",
        lambda i: f"Bearer {i.token('a', iss='http://evil')}",
        lambda i: f"Bearer {i.token('a', aud='other')}",
        lambda i: (
            "Bearer "
            + jwt.encode(
                {"iss": URL, "aud": "nodeplane", "sub": "a", "exp": int(time.time()) + 60},
                rsa.generate_private_key(public_exponent=65537, key_size=2048),
                algorithm="RS256",
            )
        ),
        lambda i: (
            "Bearer "
            + jwt.encode({"iss": URL, "aud": "nodeplane", "sub": "a", "exp": int(time.time()) + 60}, "k" * 32, "HS256")
        ),
    ],
    ids=["missing", "empty", "bearer-only", "garbage", "expired", "not-yet", "issuer", "audience", "key", "hs256"],
)
def test_bad_tokens_are_401(issuer: Issuer, make: object) -> None:
    with pytest.raises(AuthError) as err:
        check(issuer, make(issuer))  # type: ignore[operator]
    assert err.value.status == 401


def test_client_id_counts_as_audience_like_cognito_access_tokens(issuer: Issuer) -> None:
    token = issuer.token("a", aud=None, client_id="nodeplane")
    assert "aud" not in jwt.decode(token, options={"verify_signature": False})
    assert check(issuer, f"Bearer {token}")
    # as API Gateway does: client_id is looked at only when the token has no aud
    for claims in ({"aud": "other", "client_id": "nodeplane"}, {"aud": None, "client_id": "other"}):
        with pytest.raises(AuthError) as err:
            check(issuer, f"Bearer {issuer.token('a', **claims)}")
        assert err.value.status == 401


def test_a_missing_required_scope_is_403(issuer: Issuer) -> None:
    token = issuer.token("a", scopes=["read"])
    with pytest.raises(AuthError) as err:
        check(issuer, f"Bearer {token}", ("write",))
    assert err.value.status == 403
    assert check(issuer, f"Bearer {token}", ("read", "write"))


def test_the_issuer_key_is_kept_across_instances(tmp_path: Path) -> None:
    first = Issuer(tmp_path, URL)
    token = first.token("bob")
    second = Issuer(tmp_path, URL)
    assert verify(f"Bearer {token}", second.public_key, URL, ["nodeplane"]).claims["sub"] == "bob"
    assert (tmp_path / "issuer" / "private_key.pem").stat().st_mode & 0o077 == 0
    jwk = second.jwks()["keys"][0]
    assert jwt.get_unverified_header(token)["kid"] == jwk["kid"]
    assert second.openid_configuration()["jwks_uri"] == f"{URL}/.well-known/jwks.json"


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("0 3 ? * MON-FRI *", "2026-11-21T12:00", "2026-11-23T03:00"),  # Saturday -> Monday 03:00
        ("0/15 * * * ? *", "2026-11-23T07:31", "2026-11-23T07:45"),
        ("0 0 1 * ? *", "2026-11-23T07:31", "2026-12-01T00:00"),
        ("30 12 ? * 1 *", "2026-11-23T00:00", "2026-11-29T12:30"),  # 1 = Sunday in EventBridge
        ("0 8 ? * SUN,SAT 2027", "2026-11-23T00:00", "2027-01-02T08:00"),
        ("5 10 29 FEB ? *", "2026-03-01T00:00", "2028-02-29T10:05"),
        ("0 0 * * ? *", "2026-11-23T00:00", "2026-11-24T00:00"),  # strictly after
    ],
)
def test_cron_next_firing(expression: str, after: str, expected: str) -> None:
    assert CronSpec.parse(expression).next_after(at(after)) == at(expected)


def test_cron_that_never_fires_again() -> None:
    assert CronSpec.parse("0 0 1 1 ? 2020").next_after(at("2026-01-01T00:00")) is None


@pytest.mark.parametrize(
    "expression",
    ["0 0 * * *", "0 0 * * * *", "0 0 ? * ? *", "0 0 L * ? *", "0 0 ? * 6#3 *", "60 0 * * ? *", "0 0 * 13 ? *"],
)
def test_malformed_or_unsupported_cron_is_rejected(expression: str) -> None:
    with pytest.raises(CronError):
        CronSpec.parse(expression)
