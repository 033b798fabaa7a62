"""The GraphQL adapter maps whatever an endpoint does to the port's errors, over real HTTP to a scripted server:
transport trouble is ChainUnreachable, a refusal before execution is TransactionRejected (with what to fix),
anything unusable is ChainResponseError; no http.client, socket or json exception leaks out."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from nodeplane.chain.access import ChainResponseError, ChainUnreachable, EventFilter, TransactionRejected
from nodeplane.chain.graphql import GraphQLChainAccess
from nodeplane.chain.graphql.decode import rejection_kind
from nodeplane.chain.signatures import transaction_digest

Reply = Callable[[BaseHTTPRequestHandler, dict[str, Any]], None]
TX = b"\x00" * 40


def send(status: int, body: Any, content_type: str = "application/json") -> Reply:
    def reply(handler: BaseHTTPRequestHandler, _request: dict[str, Any]) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(raw)))
        handler.end_headers()
        handler.wfile.write(raw)

    return reply


def hang(handler: BaseHTTPRequestHandler, _request: dict[str, Any]) -> None:
    time.sleep(1.0)


def drop(handler: BaseHTTPRequestHandler, _request: dict[str, Any]) -> None:
    handler.close_connection = True
    handler.wfile.write(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"da')  # then the connection closes


class Scripted(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        self.reply: Reply = send(200, {"data": {}})
        self.requests: list[dict[str, Any]] = []

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append(request)
                server.reply(self, request)

        server = self
        super().__init__(("127.0.0.1", 0), Handler)


@pytest.fixture
def server() -> Iterator[Scripted]:
    srv = Scripted()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def access(server: Scripted, **kwargs: Any) -> GraphQLChainAccess:
    return GraphQLChainAccess(f"http://127.0.0.1:{server.server_address[1]}/graphql", **kwargs)


@pytest.mark.parametrize(
    "reply",
    [
        send(500, b"oops", "text/plain"),
        send(502, b"<html>bad gateway</html>", "text/html"),
        send(503, {"errors": [{"message": "busy"}]}),
        send(429, b"slow down", "text/plain"),
        send(200, {"data": None, "errors": [{"message": "t", "extensions": {"code": "REQUEST_TIMEOUT"}}]}),
        send(200, {"data": None, "errors": [{"message": "x", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]}),
        hang,
        drop,
    ],
    ids=["500", "502-html", "503", "429", "request-timeout", "internal", "read-timeout", "dropped"],
)
def test_transport_trouble_is_unreachable_and_keeps_the_digest(server: Scripted, reply: Reply) -> None:
    server.reply = reply
    chain = access(server, read_timeout=0.3)
    with pytest.raises(ChainUnreachable) as info:
        chain.execute(TX, ["sig"])
    assert info.value.digest == transaction_digest(TX)
    with pytest.raises(ChainUnreachable):
        chain.epoch()


@pytest.mark.parametrize(
    "reply",
    [
        send(200, b"<html>a captive portal</html>", "text/html"),
        send(400, b"Invalid request", "text/plain"),
        send(404, b"Not found", "text/plain"),
        send(
            200,
            {
                "data": None,
                "errors": [{"message": "Unknown field", "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}}],
            },
        ),
        send(200, {"data": {"epoch": {"epochId": 1}}}),
    ],
    ids=["html", "400", "404", "validation", "no-gas-price"],
)
def test_unusable_answers_are_response_errors(server: Scripted, reply: Reply) -> None:
    server.reply = reply
    with pytest.raises(ChainResponseError):
        access(server).epoch()


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        (
            "Transaction validator signing failed due to issues with transaction inputs, please review the errors and "
            "try again:\n- Object ID 0x1 Version 0x3 Digest abc is not available for consumption, current version: 0x5",
            "object",
        ),
        (
            "Object (0x1, SequenceNumber(2), o#ab) already locked by a different transaction: TransactionDigest(x)",
            "object",
        ),
        ("Could not find the referenced object 0x1 at version None", "object"),
        ("Gas budget: 1000 is lower than min: 2000", "gas"),
        ("Balance of gas object 10 is lower than the needed amount: 100", "gas"),
        ("Gas price 1 under reference gas price (RGP) 1000", "gas"),
        ("Invalid user signature: Required Signature from 0xab is absent [0xcd]", "signature"),
        ("Expect 1 signer signatures but got 0", "signature"),
        ("Package 0x9 does not exist", "invalid"),
    ],
)
def test_rejections_are_classified_from_suis_wording(server: Scripted, message: str, kind: str) -> None:
    assert rejection_kind(message) == kind
    server.reply = send(200, {"data": {"executeTransaction": {"effects": None, "errors": [message]}}})
    with pytest.raises(TransactionRejected) as info:
        access(server).execute(TX, ["sig"])
    assert (info.value.kind, info.value.digest) == (kind, transaction_digest(TX))


def test_undecided_executions_are_unreachable(server: Scripted) -> None:
    """A quorum that did not answer in time says nothing about the outcome: look it up by digest later."""
    server.reply = send(
        200, {"data": {"executeTransaction": {"effects": None, "errors": ["status: DeadlineExceeded"]}}}
    )
    with pytest.raises(ChainUnreachable):
        access(server).execute(TX, ["sig"])


def test_unparseable_bytes_are_rejected(server: Scripted) -> None:
    error = {"message": "Invalid BCS encoding in transaction data: x", "extensions": {"code": "BAD_USER_INPUT"}}
    server.reply = send(200, {"data": None, "errors": [error]})
    with pytest.raises(TransactionRejected) as info:
        access(server).execute(TX, ["sig"])
    assert info.value.kind == "invalid"


def test_effects_of_another_transaction_are_refused(server: Scripted) -> None:
    effects = {"digest": "someOtherDigest", "status": "SUCCESS"}
    server.reply = send(200, {"data": {"executeTransaction": {"effects": effects, "errors": None}}})
    with pytest.raises(ChainResponseError, match="returned for"):
        access(server).execute(TX, ["sig"])


def test_requests_are_registered_documents_with_variables(server: Scripted) -> None:
    server.reply = send(200, {"data": {"events": {"edges": [], "pageInfo": {"hasNextPage": False}}}})
    page = access(server).events(EventFilter(module="0x2::coin"), "c1", 500)
    assert (page.events, page.cursor, page.has_next_page) == ((), "c1", False)
    (request,) = server.requests
    assert request["operationName"] == "Events"
    assert request["variables"] == {"filter": {"module": "0x2::coin"}, "first": 50, "after": "c1"}
