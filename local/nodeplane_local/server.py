"""The HTTP front door: API Gateway HTTP API routes, the local issuer, OpenAPI + Swagger UI and local hooks."""

from __future__ import annotations

import json
import logging
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from nodeplane_local.gateway import MAX_BODY_BYTES, HttpResult, build_event, json_result, map_result, match_route
from nodeplane_local.issuer import ISSUER_PATH, AuthError, verify
from nodeplane_local.openapi import merge_openapi, swagger_file, swagger_page

if TYPE_CHECKING:
    from nodeplane_local.runtime import Runtime

log = logging.getLogger("nodeplane_local")


class Gateway(ThreadingHTTPServer):
    """One thread per connection, so handlers run concurrently as separate Lambda containers would."""

    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog of 5 resets most of a burst of simultaneous connections
    request_queue_size = 1024

    def __init__(self, runtime: Runtime, address: tuple[str, int]) -> None:
        self.runtime = runtime
        self._openapi: dict[str, Any] | None = None
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # a connection that failed outside _handle (a client gone mid-request): a record like every other line
        log.warning("connection from %s failed", client_address[0], exc_info=True)

    def openapi(self) -> dict[str, Any]:
        if self._openapi is None:
            self._openapi = merge_openapi(
                self.runtime.functions, self.runtime.template.routes, [{"url": self.runtime.base_url}]
            )
        return self._openapi


class _TooLarge(Exception):
    pass


class _Malformed(Exception):
    """A request whose body cannot be framed: answered 400 and the connection closed, like API Gateway."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Gateway

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per request is logged by _handle, with the function's name

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def __getattr__(self, name: str) -> Any:
        # any other method (TRACE, PROPFIND, ...) is routed too: no route matches it, so 404 as API Gateway answers
        if name.startswith("do_"):
            return self.do_GET
        raise AttributeError(name)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks, total = [], 0
            while True:
                size_text = self.rfile.readline(64).split(b";")[0].strip()
                if not size_text or any(c not in b"0123456789abcdefABCDEF" for c in size_text):
                    raise _Malformed
                size = int(size_text, 16)
                if size == 0:
                    self.rfile.readline()
                    break
                total += size
                if total > MAX_BODY_BYTES:
                    raise _TooLarge
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        lengths = set(self.headers.get_all("Content-Length") or [])
        if len(lengths) > 1 or any(not value.strip().isdigit() or not value.strip().isascii() for value in lengths):
            raise _Malformed  # -1, "abc", or two different lengths: the body cannot be framed
        length = int(lengths.pop()) if lengths else 0
        if length > MAX_BODY_BYTES:
            raise _TooLarge
        return self.rfile.read(length) if length else b""

    def _send(self, result: HttpResult, request_id: str | None = None) -> None:
        self.send_response(result.status)
        names = {name.lower() for name, _ in result.headers}
        for name, value in result.headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        if request_id and "apigw-requestid" not in names:
            self.send_header("apigw-requestid", request_id)
        self.send_header("Content-Length", str(len(result.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(result.body)

    def _handle(self) -> None:
        started = time.monotonic()
        raw_path, _, raw_query = self.path.partition("?")
        function = "-"
        try:
            try:
                body = self._read_body()
            except _TooLarge:
                self.close_connection = True  # the rest of the body is never read
                result = json_result(413, {"message": "Request Entity Too Large"})
            except _Malformed:
                self.close_connection = True
                result = json_result(400, {"message": "Bad Request"})
            else:
                result, function = self._route(raw_path, raw_query, body)
        except Exception:
            log.error("gateway error on %s %s\n%s", self.command, raw_path, traceback.format_exc())
            result = json_result(500, {"message": "Internal Server Error"})
        self._send(result, result.request_id)
        log.info(
            "%s %s %d %.0fms %s", self.command, raw_path, result.status, (time.monotonic() - started) * 1000, function
        )

    def _route(self, raw_path: str, raw_query: str, body: bytes) -> tuple[HttpResult, str]:
        local = self._local(raw_path, raw_query)
        if local is not None:
            return local, "(local)"
        runtime = self.server.runtime
        match = match_route(runtime.template.routes, self.command, raw_path)
        if match is None:
            return json_result(404, {"message": "Not Found"}), "-"
        route = match.route
        authorizer = None
        if route.authorizer is not None:
            issuer, audiences = runtime.audiences[route.authorizer]
            try:
                authorized = verify(
                    self.headers.get("Authorization"), runtime.issuer.public_key, issuer, audiences, route.scopes
                )
            except AuthError as exc:
                message = "Unauthorized" if exc.status == 401 else "Forbidden"
                if exc.reason is None:
                    return json_result(exc.status, {"message": message}), route.function
                # API Gateway names the failed check in WWW-Authenticate; the message says it too
                log.warning("%s %s: %s %s", self.command, raw_path, exc.status, exc.reason)
                challenge = f'Bearer error="invalid_token" error_description="{exc.reason}"'
                answer = {"message": f"{message}: {exc.reason}"}
                return json_result(exc.status, answer, [("www-authenticate", challenge)]), route.function
            authorizer = {"jwt": {"claims": authorized.claims, "scopes": authorized.scopes}}
        event = build_event(
            method=self.command,
            raw_path=raw_path,
            raw_query=raw_query,
            headers=list(self.headers.items()),
            body=body,
            source_ip=self.client_address[0],
            match=match,
            authorizer=authorizer,
            protocol=self.request_version,
        )
        fn = runtime.functions[route.function]
        try:
            result = map_result(fn.invoke(event))
        except Exception:
            # API Gateway answers a failed invocation with a bare 500; the traceback goes to the log, like CloudWatch
            log.error("%s raised:\n%s", route.function, traceback.format_exc())
            result = json_result(500, {"message": "Internal Server Error"})
        result.request_id = event["requestContext"]["requestId"]
        return result, route.function

    def _local(self, raw_path: str, raw_query: str) -> HttpResult | None:
        runtime = self.server.runtime
        method = self.command
        if method in ("GET", "HEAD"):
            if raw_path == f"{ISSUER_PATH}/.well-known/jwks.json":
                return json_result(200, runtime.issuer.jwks())
            if raw_path == f"{ISSUER_PATH}/.well-known/openid-configuration":
                return json_result(200, runtime.issuer.openid_configuration())
            if raw_path == "/openapi.json":
                return json_result(200, self.server.openapi())
            if raw_path in ("/docs", "/docs/"):
                return HttpResult(200, [("content-type", "text/html; charset=utf-8")], swagger_page().encode())
            if raw_path.startswith("/docs/"):
                found = swagger_file(runtime.root, raw_path.removeprefix("/docs/"))
                if found is None:
                    return json_result(404, {"message": "Not Found"})
                return HttpResult(200, [("content-type", found[1]), ("cache-control", "max-age=3600")], found[0])
            if raw_path == "/local/health":
                return json_result(200, {"status": "ok", "functions": len(runtime.functions)})
        if method == "POST" and raw_path.startswith("/local/"):
            parts = raw_path.strip("/").split("/")
            if len(parts) == 3 and parts[1] == "schedules":
                return self._fire_schedule(parts[2], parse_qs(raw_query))
            if len(parts) == 4 and parts[1] == "queues" and parts[3] == "drain":
                return self._drain(parts[2])
        return None

    def _fire_schedule(self, name: str, query: dict[str, list[str]]) -> HttpResult:
        runtime = self.server.runtime
        try:
            logical = runtime.function(name).spec.logical_id
        except KeyError:
            return json_result(404, {"message": f"no function {name}"})
        # ?event=<EventName> picks one when a function has several schedules
        wanted = query.get("event", [""])[0] or None
        found = [s for s in runtime.schedulers.get(logical, []) if wanted in (None, s.source.event)]
        if not found:
            return json_result(404, {"message": f"{logical} has no Schedule event {wanted or ''}".strip()})
        scheduler = found[0]
        try:
            result = scheduler.fire()
        except Exception as exc:
            return json_result(500, {"function": logical, "error": repr(exc)})
        return json_result(200, {"function": logical, "result": _jsonable(result)})

    def _drain(self, name: str) -> HttpResult:
        runtime = self.server.runtime
        try:
            logical = runtime.function(name).spec.logical_id
        except KeyError:
            return json_result(404, {"message": f"no function {name}"})
        pollers = runtime.pollers.get(logical, [])
        if not pollers:
            return json_result(404, {"message": f"{logical} has no SQS event"})
        totals: dict[str, int] = {}
        for poller in pollers:
            for key, value in poller.drain().items():
                totals[key] = totals.get(key, 0) + value
        return json_result(200, {"function": logical, **totals})


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return repr(value)
