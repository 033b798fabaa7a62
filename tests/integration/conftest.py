"""Fixtures for the SSH discovery tests: a real sshd shared by the session, a fresh one per test, and a scripted
inspector for discovery's state machine, and the local ledger for operator tests."""

from tests.support.discovery import script  # noqa: F401  (pytest fixture)
from tests.support.operators import ledger  # noqa: F401  (pytest fixture)
from tests.support.sshd import fresh_sshd, sshd_server  # noqa: F401  (pytest fixtures)
