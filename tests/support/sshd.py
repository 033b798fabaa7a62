"""pytest fixtures around the harness's real OpenSSH server (nodeplane_local.harness.sshd): skipped where sshd is
not installed or NODEPLANE_SKIP_SSHD is set."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest

from nodeplane_local.harness.sshd import SshdMissing, SshServer


def sshd_fixture(scope: str = "session") -> Callable[[], Iterator[SshServer]]:
    """A pytest fixture yielding a running ``SshServer``; register it with ``sshd = sshd_fixture()``."""

    @pytest.fixture(scope=scope)  # type: ignore[call-overload]
    def _sshd() -> Iterator[SshServer]:
        if os.environ.get("NODEPLANE_SKIP_SSHD"):
            pytest.skip("NODEPLANE_SKIP_SSHD is set")
        try:
            server = SshServer()
        except SshdMissing as exc:
            pytest.skip(str(exc))
        with server:
            yield server

    return _sshd


# session-wide server: tests that change it (host key, stubs) use ``fresh_sshd`` instead
sshd_server = sshd_fixture("session")
fresh_sshd = sshd_fixture("function")
