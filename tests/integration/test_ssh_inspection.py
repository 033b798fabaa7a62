"""SSH discovery against a real OpenSSH server on 127.0.0.1: what a user sees after importing a node."""

from __future__ import annotations

import asyncio
import os
import re
import socket
from pathlib import Path

import pytest

from nodeplane.pool.inspection import DiscoveryError, Inspection, inspect_host
from nodeplane_local.harness.sshd import SshServer, new_client_key

pytestmark = pytest.mark.sshd

TWO_GPUS = """#!/bin/sh
echo 'NVIDIA H100 80GB HBM3, 81559, 550.54.15'
echo 'NVIDIA H100 80GB HBM3, 81559, 550.54.15'
"""


def inspect(server: SshServer, **kwargs: object) -> Inspection:
    options: dict[str, object] = {"known_host_fingerprint": None, **kwargs}
    key = options.pop("private_key", server.client_private_key)
    return asyncio.run(inspect_host(server.endpoint, server.user, key, **options))


def local_os_name() -> str:
    text = Path("/etc/os-release").read_text()
    match = re.search(r'^PRETTY_NAME="?([^"\n]*)"?', text, re.M)
    assert match
    return match.group(1)


def test_reports_the_real_machine_facts(sshd_server: SshServer) -> None:
    result = inspect(sshd_server)

    mem_kib = int(re.search(r"MemTotal:\s*(\d+)", Path("/proc/meminfo").read_text()).group(1))  # type: ignore[union-attr]
    assert result.host_key_fingerprint == sshd_server.host_key_fingerprint
    assert result.hardware["cpu_cores"] == len(os.sched_getaffinity(0))
    assert result.hardware["memory_gb"] == round(mem_kib / 1024 / 1024)
    statvfs = os.statvfs("/")
    assert result.hardware["storage_gb"] == statvfs.f_blocks * statvfs.f_frsize // 1024**3
    assert result.hardware["cpu_arch"] == {"x86_64": "X86_64", "aarch64": "AARCH64"}.get(os.uname().machine, "UNKNOWN")
    assert result.hardware["cpu_vendor"] in {"INTEL", "AMD", "UNKNOWN"}
    assert result.system == {"os": local_os_name(), "kernel": os.uname().release}


def test_stub_nvidia_smi_reports_two_gpus(fresh_sshd: SshServer) -> None:
    fresh_sshd.add_executable("nvidia-smi", TWO_GPUS)

    result = inspect(fresh_sshd)

    assert result.hardware["gpu_count"] == 2
    assert result.hardware["gpu_vendor"] == "NVIDIA"
    assert result.hardware["gpu_type"] == "NVIDIA H100 80GB HBM3"
    assert result.hardware["gpu_memory"] == 81559
    assert result.software["nvidia"] == "550.54.15"


def test_stub_docker_is_reported_as_a_warning(fresh_sshd: SshServer) -> None:
    fresh_sshd.add_executable("docker", "#!/bin/sh\necho 'Docker version 24.0.7, build afdd53b'\n")

    result = inspect(fresh_sshd)

    assert result.software["docker"] == "24.0.7"
    assert "Docker 24.0.7 is already installed" in result.warnings


def test_wrong_key_is_a_permanent_authentication_failure(sshd_server: SshServer) -> None:
    stranger = new_client_key()

    with pytest.raises(DiscoveryError) as failure:
        inspect(sshd_server, private_key=stranger)

    assert failure.value.permanent
    assert "authentication" in failure.value.reason
    assert stranger.decode() not in failure.value.reason


def test_malformed_key_is_permanent_and_not_echoed(sshd_server: SshServer) -> None:
    garbage = b"-----BEGIN OPENSSH PRIVATE KEY-----\nc2VjcmV0LW1hdGVyaWFs\n-----END OPENSSH PRIVATE KEY-----\n"

    with pytest.raises(DiscoveryError) as failure:
        inspect(sshd_server, private_key=garbage)

    assert failure.value.permanent
    assert "c2VjcmV0" not in failure.value.reason


def test_nothing_listening_is_transient() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago and has no listener
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    with pytest.raises(DiscoveryError) as failure:
        asyncio.run(inspect_host(f"127.0.0.1:{port}", "root", new_client_key(), known_host_fingerprint=None))

    assert not failure.value.permanent


def test_changed_host_key_is_permanent_and_runs_nothing(fresh_sshd: SshServer) -> None:
    ran = fresh_sshd.bin_dir.parent / "uname-ran"
    fresh_sshd.add_executable("uname", f'#!/bin/sh\ntouch {ran}\nexec /bin/uname "$@"\n')
    first = inspect(fresh_sshd)
    assert ran.exists()  # the probe does run on a trusted host, so its absence below means something
    ran.unlink()

    new_fingerprint = fresh_sshd.regenerate_host_key()
    with pytest.raises(DiscoveryError) as failure:
        inspect(fresh_sshd, known_host_fingerprint=first.host_key_fingerprint)

    assert failure.value.permanent
    assert first.host_key_fingerprint in failure.value.reason
    assert new_fingerprint in failure.value.reason
    assert not ran.exists()


def test_known_host_key_is_accepted(sshd_server: SshServer) -> None:
    result = inspect(sshd_server, known_host_fingerprint=sshd_server.host_key_fingerprint)

    assert result.host_key_fingerprint == sshd_server.host_key_fingerprint


def test_hanging_command_is_permanent_with_the_command_named(fresh_sshd: SshServer) -> None:
    fresh_sshd.add_executable(
        "docker", "#!/bin/sh\nexec sleep 10  # outlives the 1.5 s timeout, then goes away on its own\n"
    )

    with pytest.raises(DiscoveryError) as failure:
        inspect(fresh_sshd, command_timeout=1.5)

    assert failure.value.permanent
    assert "docker --version" in failure.value.reason
    assert "1.5s" in failure.value.reason


def test_twenty_concurrent_inspections_all_succeed(sshd_server: SshServer) -> None:
    async def many() -> list[Inspection]:
        return await asyncio.gather(
            *(
                inspect_host(
                    sshd_server.endpoint,
                    sshd_server.user,
                    sshd_server.client_private_key,
                    known_host_fingerprint=sshd_server.host_key_fingerprint,
                )
                for _ in range(20)
            )
        )

    results = asyncio.run(many())

    assert len(results) == 20
    assert {r.hardware["cpu_cores"] for r in results} == {len(os.sched_getaffinity(0))}
