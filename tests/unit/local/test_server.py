"""The local runtime's HTTP front door under bursts and malformed framing (a real server on 127.0.0.1)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from nodeplane_local.server import Gateway

BURST = 150


@pytest.fixture
def gateway() -> Iterator[tuple[str, int]]:
    """The gateway with no functions: /local/health answers, every other path is a 404."""
    runtime: Any = SimpleNamespace(functions={}, template=SimpleNamespace(routes=[]), base_url="")
    server = Gateway(runtime, ("127.0.0.1", 0))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[:2]
    server.shutdown()
    server.server_close()


def exchange(address: tuple[str, int], request: bytes, timeout: float = 10.0) -> bytes:
    with socket.create_connection(address, timeout=timeout) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):  # to the end: closing early would reset the server's write
            answer += chunk
            if b"\r\n\r\n" in answer and b"Connection: close" not in request:
                break
        return answer


def test_a_burst_of_simultaneous_connections_is_served(gateway: tuple[str, int]) -> None:
    """150 clients connect at the same instant (a barrier), as a load test or a busy SDK pool does."""
    barrier = threading.Barrier(BURST)
    answers: list[str] = []

    def client() -> None:
        barrier.wait()
        try:
            # the timeout only ends a connection the server never serves (a full backlog); it measures nothing
            answer = exchange(gateway, b"GET /local/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 60)
            answers.append(answer[:12].decode())
        except OSError as exc:
            answers.append(type(exc).__name__)

    threads = [threading.Thread(target=client) for _ in range(BURST)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers.count("HTTP/1.1 200") == BURST, sorted(set(answers))


@pytest.mark.parametrize("length", ["-1", "abc", "1e3", "+5", " ", "٣"])
def test_a_malformed_content_length_is_400_at_once(gateway: tuple[str, int], length: str) -> None:
    request = f"POST /v1/nodes HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n{{}}".encode()
    answer = exchange(gateway, request, timeout=5)  # a thread left reading to EOF would time this out
    assert answer.startswith(b"HTTP/1.1 400"), answer


def test_conflicting_content_lengths_and_broken_chunks_are_400(gateway: tuple[str, int]) -> None:
    two = b"POST /v1/nodes HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}"
    assert exchange(gateway, two, timeout=5).startswith(b"HTTP/1.1 400")
    chunked = b"POST /v1/nodes HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"
    assert exchange(gateway, chunked, timeout=5).startswith(b"HTTP/1.1 400")
    # a well-framed body still reaches routing (no route here: 404)
    good = b"POST /v1/nodes HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
    assert exchange(gateway, good, timeout=5).startswith(b"HTTP/1.1 404")


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "BREW"])
def test_a_method_no_route_takes_is_404_not_501(gateway: tuple[str, int], method: str) -> None:
    answer = exchange(gateway, f"{method} /v1/nodes HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    assert answer.startswith(b"HTTP/1.1 404"), answer
