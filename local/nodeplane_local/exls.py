"""A local login for the `exls` CLI (exalsius 0.6.0): tokens from the local issuer written where `exls login`
would keep them, so `EXLS_BACKEND_HOST=http://127.0.0.1:3000/v1 exls nodes list` works without exalsius's
identity provider.

exls keeps its session in the system keyring (the `keyring` package), service ``exalsius_cli``, one entry per
``<client id>_<name>``: ``access_token`` (sent to the API), ``id_token`` (a JWT whose ``email``, ``nickname`` and
``sub`` claims exls reads without verifying), ``expiry`` (ISO 8601) and an optional ``refresh_token``. Both
programs must use the same keyring backend: on a machine without a desktop keyring, install ``keyrings.alt`` in
both environments and set ``PYTHON_KEYRING_BACKEND=keyrings.alt.file.PlaintextKeyring`` (an unencrypted file
under ~/.local/share/python_keyring/, fit for local tokens only).
"""

from __future__ import annotations

import contextlib
import os
from datetime import UTC, datetime, timedelta
from typing import Any

SERVICE = "exalsius_cli"
DEFAULT_CLIENT_ID = "kSbRc9MOnuMKMVLzhZYBo3xkTtk2KK7B"  # exls 0.6.0's Auth0 client id (EXLS_AUTH0_CLIENT_ID overrides)


class KeyringUnavailable(RuntimeError):
    pass


def client_id() -> str:
    return os.environ.get("EXLS_AUTH0_CLIENT_ID") or DEFAULT_CLIENT_ID


def id_token_claims(tenant: str) -> dict[str, Any]:
    """What exls reads from the id token: its user (email, nickname, sub)."""
    return {"email": f"{tenant}@nodeplane.local", "nickname": tenant, "token_use": "id"}


def store(access_token: str, id_token: str, ttl_seconds: int, client: str | None = None) -> str:
    """Write exls's keyring entries; returns the keyring backend's name. A stale refresh token is removed, so
    exls never tries to refresh a local session against exalsius's identity provider."""
    import keyring
    import keyring.errors
    from keyring.backends import fail

    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring):
        raise KeyringUnavailable(
            "no keyring backend: install keyrings.alt (pip install keyrings.alt) and set "
            "PYTHON_KEYRING_BACKEND=keyrings.alt.file.PlaintextKeyring, for this command and for exls"
        )
    client = client or client_id()
    expiry = datetime.now(UTC) + timedelta(seconds=ttl_seconds)
    try:
        keyring.set_password(SERVICE, f"{client}_access_token", access_token)
        keyring.set_password(SERVICE, f"{client}_id_token", id_token)
        keyring.set_password(SERVICE, f"{client}_expiry", expiry.isoformat())
        with contextlib.suppress(keyring.errors.PasswordDeleteError):
            keyring.delete_password(SERVICE, f"{client}_refresh_token")
    except keyring.errors.KeyringError as exc:
        raise KeyringUnavailable(f"the keyring refused the tokens: {exc}") from exc
    return f"{type(backend).__module__}.{type(backend).__name__}"
