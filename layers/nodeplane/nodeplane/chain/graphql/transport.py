"""GraphQL over plain HTTP (stdlib ``http.client``): one keep-alive connection per thread, separate connect
and read timeouts, and every failure mapped to the chain-access port's errors."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from nodeplane.chain.access import ChainResponseError, ChainUnreachable
from nodeplane.chain.graphql.documents import DOCUMENTS

if TYPE_CHECKING:
    import http.client

# HTTP statuses that mean "try again later" rather than "your request is wrong".
_TRANSIENT_STATUS: Final = frozenset({408, 425, 429, 500, 502, 503, 504})
# Sui's extensions.code values that are the server's trouble, not the request's.
_TRANSIENT_CODES: Final = frozenset({"REQUEST_TIMEOUT", "INTERNAL_SERVER_ERROR"})


class GraphQLErrors(ChainResponseError):
    """The server answered with GraphQL ``errors``; ``codes`` are their ``extensions.code`` values."""

    def __init__(self, message: str, codes: list[str]) -> None:
        super().__init__(message)
        self.codes = codes


class GraphQLTransport:
    """Posts registered documents to one Sui GraphQL endpoint and returns the ``data`` object."""

    def __init__(
        self,
        url: str,
        *,
        connect_timeout: float = 3.0,
        read_timeout: float = 30.0,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        self.url = url
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self._headers = {"Content-Type": "application/json", "Accept": "application/json", **(headers or {})}
        self._local = threading.local()

    def request(self, name: str, variables: Mapping[str, object], *, digest: str | None = None) -> dict[str, Any]:
        """Send document ``name``; ``digest`` names the transaction a failure leaves undecided."""
        document = DOCUMENTS.get(name)
        if document is None:
            raise ChainResponseError(f"unknown document {name!r}: add it to chain/graphql/documents.py")
        body = json.dumps({"query": document, "operationName": name, "variables": dict(variables)}).encode()
        status, raw = self._post(body, digest)
        return _data(status, raw, digest)

    # ------------------------------------------------------------ HTTP

    def _connection(self) -> tuple[http.client.HTTPConnection, bool]:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            return conn, True
        import http.client

        if self._https:
            conn = http.client.HTTPSConnection(self._host, self._port, timeout=self.connect_timeout)
        else:
            conn = http.client.HTTPConnection(self._host, self._port, timeout=self.connect_timeout)
        conn.connect()
        if conn.sock is not None:
            conn.sock.settimeout(self.read_timeout)
        self._local.conn = conn
        return conn, False

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def _post(self, body: bytes, digest: str | None) -> tuple[int, bytes]:
        import http.client

        for attempt in range(2):
            try:
                conn, reused = self._connection()
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                raise ChainUnreachable(f"cannot connect to {self.url}: {_reason(exc)}", digest=digest) from exc
            try:
                conn.request("POST", self._path, body, self._headers)
                response = conn.getresponse()
                raw = response.read()
            except TimeoutError as exc:
                self.close()
                raise ChainUnreachable(f"{self.url} did not answer within {self.read_timeout}s", digest=digest) from exc
            except (ConnectionError, http.client.RemoteDisconnected, http.client.BadStatusLine) as exc:
                self.close()
                # A kept-alive connection the server already closed: send once more on a fresh one. For an
                # execution that is safe too, since the same signed bytes are never applied twice.
                if reused and attempt == 0:
                    continue
                raise ChainUnreachable(f"{self.url} dropped the connection: {_reason(exc)}", digest=digest) from exc
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                raise ChainUnreachable(f"talking to {self.url} failed: {_reason(exc)}", digest=digest) from exc
            if response.will_close:
                self.close()
            return response.status, raw
        raise AssertionError("unreachable")  # pragma: no cover


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _data(status: int, raw: bytes, digest: str | None) -> dict[str, Any]:
    """The ``data`` of a GraphQL response, or the port's error for whatever else came back."""
    try:
        payload = json.loads(raw) if raw else None
    except ValueError:
        payload = None
    if status in _TRANSIENT_STATUS:
        raise ChainUnreachable(f"the Sui RPC answered HTTP {status}", digest=digest)
    if not isinstance(payload, dict):
        raise ChainResponseError(f"the Sui RPC answered HTTP {status} without a GraphQL body: {raw[:200]!r}")
    errors = payload.get("errors")
    if errors:
        items = errors if isinstance(errors, list) else [errors]
        messages = [str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in items]
        codes = [
            str(e.get("extensions", {}).get("code", ""))
            for e in items
            if isinstance(e, dict) and isinstance(e.get("extensions"), dict)
        ]
        if _TRANSIENT_CODES & set(codes):
            raise ChainUnreachable(f"the Sui RPC failed: {'; '.join(messages)}", digest=digest)
        raise GraphQLErrors("; ".join(messages), codes)
    if status != 200 or not isinstance(payload.get("data"), dict):
        raise ChainResponseError(f"the Sui RPC answered HTTP {status} without data")
    data: dict[str, Any] = payload["data"]
    return data
