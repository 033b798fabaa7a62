"""The lock request (`POST /proxy/v1/nodes/lock` and the older `POST /proxy/v1/encryption/public-key`)."""

from __future__ import annotations

import uuid

from nodeplane import metrics
from nodeplane.errors import DomainError, Unavailable
from nodeplane.network.locks import purchase, selection
from nodeplane.network.locks.plan import (
    DEFAULT_MAX_NUM_TOKENS,
    DEFAULT_TIMEOUT_SECONDS,
    MAX_NUM_TOKENS,
    MAX_TIMEOUT_SECONDS,
    Grant,
    NewLock,
    bounded,
    now_ms,
)


def lock(
    user: str,
    model: str,
    max_num_tokens: int | None = None,
    timeout: int | None = None,
    request_id: str | None = None,
) -> Grant:
    """Reserve compute units on a confidential stack for ``model`` (reusing or buying one).

    ``request_id`` names the request: processed twice, it buys at most one stack (none given: a fresh one).
    """
    try:
        grant = _lock(user, model, max_num_tokens, timeout, request_id or uuid.uuid4().hex)
    except DomainError as exc:
        metrics.add("LocksRefused", dimensions={"Reason": exc.code})
        raise
    metrics.add("LocksGranted")
    metrics.add("UnitsReserved", grant.units)
    return grant


def _lock(user: str, model: str, max_num_tokens: int | None, timeout: int | None, request_id: str) -> Grant:
    units = bounded(max_num_tokens, DEFAULT_MAX_NUM_TOKENS, 1, MAX_NUM_TOKENS, "max_num_tokens")
    seconds = bounded(timeout, DEFAULT_TIMEOUT_SECONDS, 1, MAX_TIMEOUT_SECONDS, "timeout")
    new = NewLock(uuid.uuid4().hex[:16], units, now_ms() + seconds * 1000)
    rotation = selection.current_rotation()
    tasks = selection.confidential_tasks(model)
    if rotation is None or not tasks:
        raise Unavailable(f"No node found for model {model} with confidential compute enabled")
    tried: set[int] = set()
    grant = selection.reuse(user, tasks, rotation, new, tried)
    return grant or purchase.buy(user, model, tasks, rotation, new, tried, request_id)
