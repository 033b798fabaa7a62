"""Fixtures for the SSH discovery tests: a real sshd shared by the session, and a fresh one per test."""

from tests.support.sshd import fresh_sshd, sshd_server  # noqa: F401  (pytest fixtures)
from tests.support.sui_rpc import rpc_chain  # noqa: F401  (the Sui GraphQL stand-in fixture)
