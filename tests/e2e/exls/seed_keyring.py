"""Give exls a static token, as its own login would leave it: run with the exls virtualenv's Python.

Usage: seed_keyring.py TOKEN TENANT (with PYTHON_KEYRING_BACKEND and XDG_DATA_HOME set by the caller).
The id token is an unsigned JWT carrying the claims exls reads (it never verifies it); the expiry is far away,
so exls makes no network call of its own before talking to the API.
"""

from __future__ import annotations

import base64
import datetime
import json
import sys

import keyring

CLIENT_ID = "kSbRc9MOnuMKMVLzhZYBo3xkTtk2KK7B"  # exls's default Auth0 client id (EXLS_AUTH0_CLIENT_ID)


def _b64(data: dict[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def main() -> None:
    token, tenant = sys.argv[1], sys.argv[2]
    id_token = (
        _b64({"alg": "none", "typ": "JWT"})
        + "."
        + _b64({"email": f"{tenant}@example.com", "nickname": tenant, "sub": tenant})
        + "."
    )
    expiry = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=365)
    keyring.set_password("exalsius_cli", f"{CLIENT_ID}_access_token", token)
    keyring.set_password("exalsius_cli", f"{CLIENT_ID}_id_token", id_token)
    keyring.set_password("exalsius_cli", f"{CLIENT_ID}_expiry", expiry.isoformat())


if __name__ == "__main__":
    main()
