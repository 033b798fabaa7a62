"""Fixtures: a real sshd shared by the session (and a fresh one per test) for the SSH discovery tests; bench/world.py's
state, on which every sample event succeeds, for the tests that run the samples."""

import sys
from pathlib import Path

import pytest

from tests.support.sshd import fresh_sshd, sshd_server  # noqa: F401  (pytest fixtures)
from tests.support.sui_rpc import rpc_chain  # noqa: F401  (the Sui GraphQL stand-in fixture)


@pytest.fixture
def world(moto_env, monkeypatch: pytest.MonkeyPatch):
    """bench/world.py, built on moto: the state every sample event under events/ succeeds on."""
    monkeypatch.syspath_prepend(str(Path(__file__).parents[2] / "bench"))
    monkeypatch.setenv("LEDGER_CROSS_VALIDATION_PERMILLE", "1000")  # world.build sets it; undone after the test
    from nodeplane.network import chain_impl, chainops

    chainops.use(None)
    chain_impl.default_ops.cache_clear()
    import world as bench_world

    bench_world.build()
    yield bench_world
    chainops.use(None)
    chain_impl.default_ops.cache_clear()
    sys.modules.pop("world", None)
