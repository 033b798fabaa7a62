"""The Sui GraphQL stand-in over HTTP: POST /graphql runs a document against the published schema.

Like Sui's service: a response is HTTP 200 with ``data`` and/or ``errors`` (each with ``extensions.code``:
GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, BAD_USER_INPUT, INTERNAL_SERVER_ERROR), a body that is not a
GraphQL request is HTTP 400, and every response carries ``x-sui-rpc-version``. Never a 500 or a traceback.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
from collections.abc import Callable
from functools import cache, lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final

from graphql import (
    ExecutionResult,
    GraphQLError,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLSyntaxError,
    build_schema,
    execute,
    parse,
    validate,
)
from graphql.language import DocumentNode, StringValueNode
from graphql.language.ast import IntValueNode, ValueNode

from nodeplane.chain.ledger import LocalLedger
from nodeplane.chain.signatures import normalize_address
from nodeplane_local.sui_rpc import dev
from nodeplane_local.sui_rpc.resolvers import Backend, Root

log = logging.getLogger("nodeplane.sui_rpc")

SCHEMA_PATH: Final = Path(__file__).resolve().parents[3] / "vendor" / "sui-graphql" / "schema.graphql"
SUI_RPC_VERSION: Final = "1.0.0-nodeplane-stand-in"  # pysui reads this header; schema commit in vendor/sui-graphql
MAX_BODY_BYTES: Final = 1 << 20
_ADDRESS: Final = re.compile(r"^0x[0-9a-fA-F]{1,64}$")


# ---------------------------------------------------------------- schema


def _scalar(schema: GraphQLSchema, name: str, parse_value: Callable[[Any], Any]) -> None:
    """Input coercion for one of Sui's custom scalars (build_schema leaves them as "anything goes")."""
    scalar = schema.type_map[name]
    assert isinstance(scalar, GraphQLScalarType)

    def parse_literal(node: ValueNode, _variables: Any = None) -> Any:
        if isinstance(node, StringValueNode):
            return parse_value(node.value)
        if isinstance(node, IntValueNode):
            return parse_value(int(node.value))
        raise GraphQLError(f"Invalid {name} literal")

    scalar.coerce_input_value = parse_value
    scalar.coerce_input_literal = parse_literal


def _sui_address(value: Any) -> str:
    if not isinstance(value, str) or not _ADDRESS.match(value):
        raise GraphQLError(f"Invalid SuiAddress: {value!r}")
    return normalize_address(value)


def _uint53(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1 << 53:
        raise GraphQLError(f"Invalid UInt53: {value!r}")
    return value


def _string(name: str) -> Any:
    def parse_value(value: Any) -> str:
        if not isinstance(value, str):
            raise GraphQLError(f"Invalid {name}: expected a string")
        return value

    return parse_value


@cache
def sui_schema() -> GraphQLSchema:
    """The vendored published schema, with Sui's input checks on its custom scalars."""
    schema = build_schema(SCHEMA_PATH.read_text())
    _scalar(schema, "SuiAddress", _sui_address)
    _scalar(schema, "UInt53", _uint53)
    _scalar(schema, "Base64", _string("Base64"))
    _scalar(schema, "BigInt", _string("BigInt"))
    return schema


# ---------------------------------------------------------------- one request


def _error(err: GraphQLError, default_code: str) -> dict[str, Any]:
    formatted: dict[str, Any] = dict(err.formatted)
    extensions = dict(formatted.get("extensions") or {})
    extensions.setdefault("code", default_code)
    formatted["extensions"] = extensions
    return formatted


@lru_cache(maxsize=256)
def _checked(query: str) -> tuple[DocumentNode, tuple[GraphQLError, ...]]:
    """Parse and validate once per distinct document (clients send the same few again and again)."""
    document = parse(query)
    return document, tuple(validate(sui_schema(), document))


def run(root: Root, payload: Any) -> tuple[int, dict[str, Any] | str]:
    """(HTTP status, body) for one decoded request body."""
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        return 400, "Invalid request: expected a JSON object with a `query` string"
    variables = payload.get("variables") or {}
    operation = payload.get("operationName")
    if not isinstance(variables, dict) or (operation is not None and not isinstance(operation, str)):
        return 400, "Invalid request: `variables` must be an object and `operationName` a string"
    try:
        document, problems = _checked(payload["query"])
    except GraphQLSyntaxError as exc:
        return 200, {"data": None, "errors": [_error(exc, "GRAPHQL_PARSE_FAILED")]}
    if problems:
        return 200, {"data": None, "errors": [_error(e, "GRAPHQL_VALIDATION_FAILED") for e in problems]}
    result = execute(sui_schema(), document, root, variable_values=variables, operation_name=operation)
    if not isinstance(result, ExecutionResult):  # pragma: no cover - every resolver here is synchronous
        raise TypeError("asynchronous execution is not supported")
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        # Errors before any field ran (variables, operation name) are the request's fault.
        default = "BAD_USER_INPUT" if result.data is None else "INTERNAL_SERVER_ERROR"
        body["errors"] = [_error(e, default if not e.path else "INTERNAL_SERVER_ERROR") for e in result.errors]
    return 200, body


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: SuiGraphQLServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes: without this, a kept-alive client waits for a delayed ACK.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def _send(self, status: int, body: dict[str, Any] | str, content_type: str = "application/json") -> None:
        raw = (json.dumps(body) if isinstance(body, dict) else body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type if isinstance(body, dict) else "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(raw)))
        self.send_header("x-sui-rpc-version", SUI_RPC_VERSION)
        self.end_headers()
        self.wfile.write(raw)

    def _dev(self, method: str) -> bool:
        """The development routes (sui_rpc/dev.py); False when the path is not one."""
        path = self.path.split("?")[0].rstrip("/")
        if not path.startswith("/dev/"):
            return False
        length = int(self.headers.get("Content-Length") or "0")
        raw = self.rfile.read(length) if length else b""
        try:
            payload = json.loads(raw) if raw else {}
        except ValueError:
            payload = None
        try:
            status, body = dev.handle(self.server.root.backend.ledger, self.server.url, method, path, payload)
        except Exception:
            log.exception("development request failed")
            status, body = 500, {"error": "internal error"}
        self._send(status, body)
        return True

    def do_GET(self) -> None:
        if self._dev("GET"):
            return
        if self.path.rstrip("/") == "/graphql/health":
            self._send(200, "OK")
        elif self.path.split("?")[0].rstrip("/") == "/graphql":
            self._send(200, "Sui GraphQL stand-in: POST GraphQL documents to this URL.")
        else:
            self._send(404, "Not found")

    def do_POST(self) -> None:
        if self._dev("POST"):
            return
        if self.path.split("?")[0].rstrip("/") != "/graphql":
            self._send(404, "Not found")
            return
        try:
            length = int(self.headers.get("Content-Length") or "0")
        except ValueError:
            self._send(400, "Invalid request: bad Content-Length")
            return
        if length > MAX_BODY_BYTES:
            self.rfile.read(length)
            too_large = {
                "message": f"Request too large {length}B > {MAX_BODY_BYTES}B",
                "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
            }
            self._send(200, {"data": None, "errors": [too_large]})
            return
        raw = self.rfile.read(length)
        try:
            payload = json.loads(raw)
        except ValueError:
            self._send(400, "Invalid request: the body is not JSON")
            return
        try:
            status, body = run(self.server.root, payload)
        except Exception:  # a defect in a resolver must not become a traceback on the wire
            log.exception("stand-in request failed")
            internal = {"message": "Internal error", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}
            status, body = 200, {"data": None, "errors": [internal]}
        self._send(status, body)


class SuiGraphQLServer(ThreadingHTTPServer):
    """Serves a LocalLedger as a Sui GraphQL endpoint at ``http://host:port/graphql``."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, ledger: LocalLedger, host: str = "127.0.0.1", port: int = 0, root: Root | None = None) -> None:
        self.root = root or Root(Backend(ledger))
        super().__init__((host, port), _Handler)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/graphql"

    def start(self) -> SuiGraphQLServer:
        """Serve from a background thread (tests, benches); ``serve_forever`` serves from the caller's."""
        sui_schema()  # build once, before the first request
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, name="sui-rpc", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join(5)
