"""A scripted stand-in for SSH inspection, so discovery's state machine runs without a machine to inspect."""

from __future__ import annotations

import types
from dataclasses import dataclass, field
from typing import Any

import pytest


@dataclass
class Inspection:
    host_key_fingerprint: str = "SHA256:abc"
    hardware: dict[str, Any] = field(default_factory=lambda: {"cpu_cores": 8, "memory_gb": 31, "gpu_count": 0})
    software: dict[str, str] = field(default_factory=dict)
    system: dict[str, str] = field(default_factory=lambda: {"os": "Debian GNU/Linux 12", "kernel": "6.1.0"})
    warnings: list[str] = field(default_factory=list)


class DiscoveryError(Exception):
    def __init__(self, reason: str, permanent: bool) -> None:
        super().__init__(reason)
        self.reason, self.permanent = reason, permanent


class Script:
    """Stands in for nodeplane.pool.inspection: returns or raises what the test queues up."""

    def __init__(self) -> None:
        self.outcomes: list[Any] = []
        self.calls: list[dict[str, Any]] = []
        self.on_call: Any = None

    async def inspect_host(self, endpoint: str, username: str, private_key: bytes, **kw: Any) -> Inspection:
        self.calls.append({"endpoint": endpoint, "username": username, **kw})
        if self.on_call:
            self.on_call()
        outcome = self.outcomes.pop(0) if self.outcomes else Inspection()
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


@pytest.fixture
def script(monkeypatch: pytest.MonkeyPatch) -> Script:
    s = Script()
    module = types.ModuleType("nodeplane.pool.inspection")
    module.inspect_host = s.inspect_host  # type: ignore[attr-defined]
    module.DiscoveryError = DiscoveryError  # type: ignore[attr-defined]
    monkeypatch.setitem(__import__("sys").modules, "nodeplane.pool.inspection", module)
    return s
