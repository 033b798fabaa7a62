"""A real OpenSSH server on 127.0.0.1 for discovery tests: fresh host and user keys in a temp dir.

    with SshServer() as server:
        server.add_executable("nvidia-smi", "#!/bin/sh\\necho 'NVIDIA A100, 81920, 535.104.05'\\n")
        await inspect_host(server.endpoint, server.user, server.client_private_key, known_host_fingerprint=None)

Raises ``SshdMissing`` when /usr/sbin/sshd is not installed (Debian: ``apt-get install openssh-server``); the
tests' fixtures (tests/support/sshd.py) skip then.
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from nodeplane_local.engines import free_port

SSHD = "/usr/sbin/sshd"
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def _new_key() -> tuple[bytes, str, str]:
    """(OpenSSH private key PEM, public key line, SHA256 fingerprint)."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    blob = base64.b64decode(public.split()[1])
    fingerprint = "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return private, public.decode(), fingerprint


class SshdMissing(RuntimeError):
    """No OpenSSH server is installed to run."""


def new_client_key() -> bytes:
    """A fresh private key the server does not know, for authentication-failure tests."""
    return _new_key()[0]


class SshServer:
    """``sshd -D`` as the current user on a free port; a context manager that always stops it."""

    def __init__(self) -> None:
        if not Path(SSHD).exists():
            raise SshdMissing(f"{SSHD} is not installed (apt-get install openssh-server)")
        self.user = getpass.getuser()
        self.port = free_port()
        self.endpoint = f"127.0.0.1:{self.port}"
        self._tmp = Path(tempfile.mkdtemp(prefix="nodeplane-sshd-"))
        self.bin_dir = self._tmp / "bin"
        self.bin_dir.mkdir()
        self.client_private_key, client_public, self.client_fingerprint = _new_key()
        (self._tmp / "authorized_keys").write_text(client_public + "\n")
        self.host_key_fingerprint = ""
        self._process: subprocess.Popen[bytes] | None = None
        self._write_host_key()
        self._write_config()

    def _write_host_key(self) -> None:
        private, public, self.host_key_fingerprint = _new_key()
        path = self._tmp / "ssh_host_ed25519_key"
        path.write_bytes(private)
        path.chmod(0o600)  # sshd refuses group/world-readable host keys even with StrictModes no
        (self._tmp / "ssh_host_ed25519_key.pub").write_text(public + "\n")

    def _write_config(self) -> None:
        config = f"""\
ListenAddress 127.0.0.1:{self.port}
HostKey {self._tmp / "ssh_host_ed25519_key"}
PidFile {self._tmp / "sshd.pid"}
AuthorizedKeysFile {self._tmp / "authorized_keys"}
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
MaxStartups 100
MaxSessions 100
LogLevel ERROR
# stubs in bin_dir (nvidia-smi, docker) shadow the real tools for the session; HOME in the temp dir
# keeps the runner's ~/.bashrc (bash sources it for every sshd exec) from slowing or changing sessions
SetEnv PATH={self.bin_dir}:{DEFAULT_PATH} HOME={self._tmp}
"""
        (self._tmp / "sshd_config").write_text(config)

    def add_executable(self, name: str, script: str) -> Path:
        """Put an executable on the remote PATH (takes effect for new sessions, no restart needed)."""
        path = self.bin_dir / name
        path.write_text(script)
        path.chmod(0o755)
        return path

    def remove_executable(self, name: str) -> None:
        (self.bin_dir / name).unlink(missing_ok=True)

    def start(self) -> SshServer:
        Path("/run/sshd").mkdir(exist_ok=True)  # the privilege-separation dir sshd insists on
        self._process = subprocess.Popen(
            [SSHD, "-D", "-e", "-f", str(self._tmp / "sshd_config")],
            stdout=subprocess.DEVNULL,
            stderr=open(self._tmp / "sshd.log", "wb"),  # noqa: SIM115  (owned by the child)
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"sshd exited at start: {(self._tmp / 'sshd.log').read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    # a banner means sshd is really serving, not just that the port is bound
                    if sock.recv(64).startswith(b"SSH-"):
                        return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"sshd did not accept connections on {self.endpoint}")

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None

    def regenerate_host_key(self) -> str:
        """Restart with a new host key on the same port; returns the new fingerprint."""
        self.stop()
        self._write_host_key()
        self.start()
        return self.host_key_fingerprint

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> SshServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
