"""SSH targets: what a deployment refuses to connect to by default, and discovery failures that tell nothing
about ports (a real sshd on 127.0.0.1, local sockets that refuse, drop or never answer)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import threading
from collections.abc import Iterator

import pytest

from nodeplane.pool import discovery, targets
from nodeplane.pool.inspection import DiscoveryError, inspect_host
from nodeplane_local.harness.sshd import SshServer, new_client_key
from tests.support.pool import add_key, assert_problem, call

INTERNAL = [
    "127.0.0.1",
    "127.8.9.10",
    "::1",
    "169.254.169.254",
    "169.254.0.1",
    "fd00:ec2::254",
    "fe80::1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "100.64.0.1",
    "0.0.0.0",
    "::",
    "224.0.0.1",
    "255.255.255.255",
    "240.0.0.1",
    "::ffff:127.0.0.1",
    "::ffff:169.254.169.254",
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "fec0::1",
]
PUBLIC = ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "203.0.113.5", "198.51.100.1", "2001:db8::1"]


@pytest.fixture
def deployed_default(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The template's default (SshPrivateTargets=refuse): the variable the tests otherwise set, removed."""
    from nodeplane import settings

    monkeypatch.delenv("SSH_PRIVATE_TARGETS", raising=False)
    settings.settings.cache_clear()
    yield
    settings.settings.cache_clear()


@pytest.mark.parametrize("address", INTERNAL)
def test_internal_addresses_are_classified(address: str) -> None:
    assert targets.refused_kind(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_not(address: str) -> None:
    assert targets.refused_kind(ipaddress.ip_address(address)) is None


def endpoint_of(address: str) -> str:
    return f"[{address}]:22" if ":" in address else f"{address}:22"


def test_import_refuses_internal_addresses_by_default(moto_env, deployed_default):
    key = add_key()
    for address in INTERNAL:
        body = {"hostname": "h", "endpoint": endpoint_of(address), "username": "u", "ssh_key_id": key}
        reply = call("pool_node_import_ssh", "POST", "/v1/node/import/ssh", body=body)
        assert_problem(reply, 400)
        assert "public addresses" in reply.body["detail"]["detail"], (address, reply.body)
    assert call("pool_nodes_list", "GET", "/v1/nodes").body["total"] == 0
    public = {"hostname": "h", "endpoint": "203.0.113.5:22", "username": "u", "ssh_key_id": key}
    assert call("pool_node_import_ssh", "POST", "/v1/node/import/ssh", body=public).status == 201


def test_a_name_resolving_to_an_internal_address_fails_discovery_without_connecting(moto_env, deployed_default):
    key = add_key()
    for name in ("localhost", "2130706433"):  # a name, and 127.0.0.1 as inet_aton spells it
        body = {"hostname": f"h-{name}", "endpoint": f"{name}:22", "username": "u", "ssh_key_id": key}
        reply = call("pool_node_import_ssh", "POST", "/v1/node/import/ssh", body=body)
        assert reply.status == 201, reply.body  # names are checked when resolved, at discovery
        outcome = discovery.discover("tenant-a", reply.body["node_ids"][0])
        assert outcome.status == "FAILED" and "loopback" in outcome.reason, outcome


@pytest.mark.sshd
def test_the_local_setting_allows_a_server_on_loopback(sshd_server: SshServer) -> None:
    found = asyncio.run(
        inspect_host(
            sshd_server.endpoint, sshd_server.user, sshd_server.client_private_key, known_host_fingerprint=None
        )
    )
    assert found.host_key_fingerprint.startswith("SHA256:")


def test_the_refusal_names_the_setting(deployed_default) -> None:
    with pytest.raises(DiscoveryError) as failure:
        asyncio.run(inspect_host("127.0.0.1:22", "root", new_client_key(), known_host_fingerprint=None))
    assert failure.value.permanent and "SshPrivateTargets" in failure.value.reason


class _Listener:
    """A local TCP port that refuses (closed), accepts and drops, speaks something other than SSH, or never
    answers (a full backlog of a socket that never accepts)."""

    def __init__(self, behaviour: str) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.behaviour = behaviour
        self.stopped = threading.Event()
        if behaviour == "closed":
            self.sock.close()
            return
        self.sock.listen(0 if behaviour == "silent" else 8)
        if behaviour != "silent":
            threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            if self.behaviour == "http":
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            conn.close()

    def close(self) -> None:
        self.stopped.set()
        self.sock.close()


def test_closed_dropped_foreign_and_silent_ports_give_one_reason() -> None:
    reasons = {}
    for behaviour in ("closed", "drop", "http", "silent"):
        listener = _Listener(behaviour)
        try:
            with pytest.raises(DiscoveryError) as failure:
                asyncio.run(
                    inspect_host(
                        f"127.0.0.1:{listener.port}",
                        "root",
                        new_client_key(),
                        known_host_fingerprint=None,
                        connect_timeout=1.0,
                    )
                )
        finally:
            listener.close()
        assert not failure.value.permanent  # retried alike until the deadline
        reasons[behaviour] = failure.value.reason.replace(str(listener.port), "PORT")
    assert len(set(reasons.values())) == 1, reasons
    assert reasons["closed"] == "no SSH server could be reached at 127.0.0.1:PORT"
