"""Fixtures for the SSH discovery tests: a real sshd shared by the session, and a fresh one per test."""

from tests.support.sshd import fresh_sshd, sshd_server  # noqa: F401  (pytest fixtures)
