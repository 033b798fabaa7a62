"""Inspect a self-managed node over SSH: host key (trust on first use), hardware, software and system facts.

One connection and one remote command per node keep discovery to a handful of round trips. Every failure is
a ``DiscoveryError`` that says whether retrying could help (``permanent=False``) or not. Whatever keeps an SSH
session from starting (nothing listening, a timeout, a reset, a service that is not SSH) is one and the same
reason, so discovery cannot be used to tell closed ports from filtered or open ones.
"""

from __future__ import annotations

import asyncio
import ipaddress
import shlex
import socket
from dataclasses import dataclass, field
from typing import Any

from nodeplane.pool import targets
from nodeplane.pool.inspection_parse import MARKER, build_facts, command_of, inspection_script, split_sections


@dataclass(frozen=True)
class Inspection:
    host_key_fingerprint: str
    hardware: dict[str, int | str] = field(default_factory=dict)
    software: dict[str, str] = field(default_factory=dict)
    system: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


class DiscoveryError(Exception):
    """A node could not be inspected; ``permanent`` failures are not retried."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


def parse_endpoint(endpoint: str) -> tuple[str, int]:
    """``host``, ``host:port``, ``[v6]:port`` or a bare IPv6 address → (host, port); port defaults to 22."""
    endpoint = endpoint.strip()
    if not endpoint:
        raise DiscoveryError("the endpoint is empty", permanent=True)
    host, port_text = endpoint, ""
    if endpoint.startswith("["):
        host, sep, rest = endpoint[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise DiscoveryError(f"the endpoint {endpoint!r} is not host:port", permanent=True)
        port_text = rest[1:]
    elif endpoint.count(":") == 1:
        host, _, port_text = endpoint.partition(":")
    elif endpoint.count(":") > 1:
        try:  # a bare IPv6 address has no room for a port
            ipaddress.IPv6Address(endpoint)
        except ValueError:
            raise DiscoveryError(f"the endpoint {endpoint!r} is not host:port", permanent=True) from None
    if not host or any(c.isspace() for c in host):
        raise DiscoveryError(f"the endpoint {endpoint!r} has no valid host", permanent=True)
    if port_text == "" and endpoint.endswith(":"):
        raise DiscoveryError(f"the endpoint {endpoint!r} has an empty port", permanent=True)
    port = 22
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise DiscoveryError(f"the endpoint {endpoint!r} has an invalid port", permanent=True)
        port = int(port_text)
    return host, port


async def inspect_host(
    endpoint: str,
    username: str,
    private_key: bytes,
    *,
    known_host_fingerprint: str | None,
    connect_timeout: float = 10.0,
    command_timeout: float = 20.0,
) -> Inspection:
    """Connect, check the host key, run the inspection script and parse it into an ``Inspection``."""
    import asyncssh  # lazily: only the discovery worker pays for it

    host, port = parse_endpoint(endpoint)
    address = await _resolve(host, port)
    try:
        key = asyncssh.import_private_key(private_key)
    except (asyncssh.KeyImportError, ValueError, TypeError):
        # the exception text may quote the key material, so it is deliberately dropped
        raise DiscoveryError("the SSH private key could not be read (malformed or encrypted)", permanent=True) from None

    presented: list[str] = []

    class _Client(asyncssh.SSHClient):
        def validate_host_public_key(self, host: str, addr: str, port: int, key: Any) -> bool:
            fingerprint = key.get_fingerprint("sha256")
            presented.append(fingerprint)
            # refusing here ends the handshake before user authentication, so nothing runs on a changed host
            return known_host_fingerprint is None or fingerprint == known_host_fingerprint

    where = f"{username}@{host}:{port}"
    try:
        conn, _ = await asyncssh.create_connection(
            _Client,
            address,  # the address checked, not the name again (its answer may have changed since)
            port,
            username=username,
            client_keys=[key],
            # an empty, non-None trust list makes asyncssh ask validate_host_public_key about every key
            known_hosts=([], [], []),
            agent_path=None,
            password=None,
            kbdint_auth=False,
            gss_host=None,
            preferred_auth="publickey",
            connect_timeout=connect_timeout,
            login_timeout=connect_timeout,
            keepalive_interval=0,
        )
    except asyncssh.HostKeyNotVerifiable:
        got = presented[-1] if presented else "an unreadable key"
        raise DiscoveryError(
            f"host key of {host}:{port} changed: expected {known_host_fingerprint}, presented {got}", permanent=True
        ) from None
    except asyncssh.PermissionDenied:
        raise DiscoveryError(f"SSH authentication failed for {where} with the given key", permanent=True) from None
    except (asyncssh.Error, OSError, TimeoutError):
        raise DiscoveryError(f"no SSH server could be reached at {host}:{port}", permanent=False) from None

    server_key = conn.get_server_host_key()
    fingerprint = server_key.get_fingerprint("sha256") if server_key else presented[-1]
    try:
        output = await _run_script(conn, command_timeout)
    finally:
        conn.abort()  # do not wait for a hung remote command to notice the close
    hardware, software, system, warnings = build_facts(split_sections(output))
    return Inspection(fingerprint, hardware, software, system, warnings)


async def _resolve(host: str, port: int) -> str:
    """The address to connect to; every address the host resolves to must be one this deployment may reach."""
    literal = targets.parse_address(host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            # a name that does not exist will not start existing; a resolver hiccup might clear up
            permanent = exc.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME))
            raise DiscoveryError(f"cannot resolve {host}: {exc.strerror}", permanent=permanent) from None
        addresses = [ipaddress.ip_address(str(info[4][0])) for info in infos]
    for address in addresses:
        refused = targets.refusal(host, address)
        if refused:
            raise DiscoveryError(refused, permanent=True)
    return str(addresses[0])


async def _run_script(conn: Any, command_timeout: float) -> str:
    """Run the inspection script; on timeout, name the probe that was running."""
    import asyncssh

    lines: list[str] = []
    current = "the inspection script"

    async def read_all() -> None:
        nonlocal current
        # sh -c: the login shell of the user may not be POSIX (fish, csh)
        command = "sh -c " + shlex.quote(inspection_script())
        process = await conn.create_process(command, stdin=asyncssh.DEVNULL, encoding="utf-8", errors="replace")
        async for line in process.stdout:
            lines.append(line)
            if line.startswith(MARKER):
                current = command_of(line[len(MARKER) :].strip())

    try:
        await asyncio.wait_for(read_all(), command_timeout)
    except TimeoutError:
        raise DiscoveryError(
            f"remote command `{current}` did not finish within {command_timeout:g}s", permanent=True
        ) from None
    except (asyncssh.Error, OSError) as exc:
        raise DiscoveryError(f"the inspection command failed: {exc}", permanent=False) from None
    return "".join(lines)
