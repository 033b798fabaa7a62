"""A small JSON-over-HTTP client for any nodeplane URL: bearer token, the three error envelopes, exit codes."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from nodeplane_cli.errors import AuthError, CliError, Refused, ServerError

DEFAULT_URL = "http://127.0.0.1:3000"
TIMEOUT_SECONDS = 60


def server_message(status: int, text: str) -> str:
    """The server's own words from any of nodeplane's envelopes: `{"error": "…"}` (/daemon),
    `{"error": {"code", "message"}}` (/proxy), an RFC 9457 problem under `detail` (/v1), or a gateway's
    `{"message": "…"}`; the raw text when the body is none of these."""
    try:
        body = json.loads(text)
    except ValueError:
        return text.strip()[:300] or f"HTTP {status}"
    if isinstance(body, dict):
        error, detail = body.get("error"), body.get("detail")
        if isinstance(error, str):
            return error
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            code = error.get("code")
            return f"{error['message']} ({code})" if code else str(error["message"])
        if isinstance(detail, dict) and isinstance(detail.get("detail"), str):
            return str(detail["detail"])
        if isinstance(detail, str):
            return detail
        if isinstance(body.get("message"), str):
            return str(body["message"])
    return text.strip()[:300]


@dataclass(frozen=True)
class Client:
    url: str
    token: str | None

    def call(self, method: str, path: str, body: Any = None, query: dict[str, Any] | None = None) -> Any:
        """The response's JSON; a CliError with the exit code that says what went wrong otherwise."""
        if not self.token:
            raise AuthError("no token: pass --token or set NODEPLANE_TOKEN")
        target = self.url.rstrip("/") + path
        pairs = {k: v for k, v in (query or {}).items() if v is not None}
        if pairs:
            target += "?" + urllib.parse.urlencode(pairs)
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        data = None
        if body is not None or method == "POST":
            data = json.dumps({} if body is None else body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(target, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                text = response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            status = exc.code
            message = server_message(status, exc.read().decode("utf-8", "replace"))
            kind: type[CliError] = AuthError if status == 401 else Refused if 400 <= status < 500 else ServerError
            raise kind(f"{method} {path}: {status} {exc.reason}: {message}") from None
        except (TimeoutError, urllib.error.URLError, ConnectionError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ServerError(f"cannot reach {self.url}: {reason}") from None
        try:
            return json.loads(text) if text.strip() else None
        except ValueError:
            raise ServerError(f"{method} {path}: the server answered something that is not JSON") from None
