"""AWS clients, made from one botocore session per container.

botocore directly, not boto3: nothing here uses boto3's resource layer or its transfer manager, and importing
them is a measurable part of a cold start (bench/bench_cold_start.py). Endpoints, region and credentials
come from the environment as with boto3 (``AWS_ENDPOINT_URL``, ``AWS_DEFAULT_REGION``, ...).
"""

import threading
from typing import Any

import botocore.session

_lock = threading.Lock()
_session: botocore.session.Session | None = None


def client(service: str) -> Any:
    """A new low-level client for ``service``; callers keep it (clients are thread-safe, sessions are not)."""
    global _session
    with _lock:
        if _session is None:
            _session = botocore.session.get_session()
        return _session.create_client(service)


def reset() -> None:
    """Forget the session, so the next client reads the environment again (tests switch endpoints)."""
    global _session
    with _lock:
        _session = None
