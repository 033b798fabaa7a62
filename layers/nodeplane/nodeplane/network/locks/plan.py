"""The pure parts of a lock: the request's bounds, whether a lock fits a stack as last read, and key validity."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any

from nodeplane import clock
from nodeplane.chain.contract import COMPUTE_UNITS_PER_STACK
from nodeplane.errors import Unprocessable

DEFAULT_MAX_NUM_TOKENS = 8192  # MAX_NUM_TOKENS_FOR_CONFIDENTIAL_COMPUTE of the proxy
MAX_NUM_TOKENS = COMPUTE_UNITS_PER_STACK  # what a stack holds: a bigger lock could never be served
# 60 s by default (the proxy's 5 s expires before a slow client has even encrypted its request) and at most
# an hour: long enough for any single confidential request, short enough that abandoned locks return soon.
DEFAULT_TIMEOUT_SECONDS = 60
MAX_TIMEOUT_SECONDS = 3600
# Live locks per stack; bounds the stack item's size (and so the write cost of every reservation).
MAX_LOCKS_PER_STACK = 128
MAX_DROPS_PER_UPDATE = 40  # keeps one update expression far below DynamoDB's 4 KB limit


@dataclass(frozen=True)
class Grant:
    """A reservation: what the lock endpoint answers, plus the lock's identity for release."""

    node_small_id: int
    public_key: str
    stack_small_id: int
    stack_entry_digest: str | None
    lock_id: str
    units: int
    expires_at: int  # epoch milliseconds


@dataclass(frozen=True)
class NewLock:
    lock_id: str
    units: int
    expires_at: int  # epoch milliseconds


@dataclass
class Plan:
    """How to reserve ``units`` on a stack as last read: which expired locks to drop first, if any."""

    ok: bool
    drop: dict[str, int] = field(default_factory=dict)

    @property
    def freed(self) -> int:
        return sum(self.drop.values())


def now_ms() -> int:
    return int(clock.now() * 1000)


def bounded(value: int | None, default: int, low: int, high: int, name: str) -> int:
    """Defaults for nulls; out-of-range values are the caller's mistake (422), never clamped silently."""
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Unprocessable(f"{name} must be an integer from {low} to {high}")
    return value


def usable(stack: dict[str, Any]) -> bool:
    """A stack that may take new locks at all (claimed or locked stacks never come back)."""
    return not (stack.get("is_claimed") or stack.get("is_locked") or stack.get("is_locked_for_claim"))


def plan(stack: dict[str, Any], units: int, at_ms: int) -> Plan:
    """Decide from one read of the stack whether ``units`` fit, releasing expired locks only when needed."""
    if not usable(stack):
        return Plan(False)
    locks: dict[str, Any] = stack.get("locks") or {}
    available = int(stack.get("available_units", 0))
    if available >= units and len(locks) < MAX_LOCKS_PER_STACK:
        return Plan(True)
    expired = sorted(
        ((lid, int(lock["units"]), int(lock["expires_at"])) for lid, lock in locks.items()),
        key=lambda t: t[2],
    )
    drop = {lid: n for lid, n, exp in expired if exp <= at_ms}
    drop = dict(list(drop.items())[:MAX_DROPS_PER_UPDATE])
    ok = available + sum(drop.values()) >= units and len(locks) - len(drop) < MAX_LOCKS_PER_STACK
    return Plan(ok, drop if ok else {})


def valid_key(node: dict[str, Any] | None, rotation: int) -> str | None:
    """The node's base64 X25519 key if it is valid at the current rotation and really 32 bytes."""
    if not node or node.get("key_valid") is not True or node.get("key_rotation_counter") != rotation:
        return None
    key = node.get("public_key")
    if not isinstance(key, str):
        return None
    try:
        if len(base64.b64decode(key, validate=True)) != 32:
            return None
    except (binascii.Error, ValueError):
        return None
    return key
