"""The pure parts of the lock domain: capacity planning, input bounds, key validity. No AWS."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nodeplane.errors import Unprocessable
from nodeplane.network import items
from nodeplane.network.locks import plan as lock_plan


def stack(total: int = 100_000, **extra: Any) -> dict[str, Any]:
    return {
        "stack_small_id": 1,
        "num_compute_units": total,
        "already_computed_units": 0,
        "locked_compute_units": 0,
        "available_units": total,
        "is_claimed": False,
        "locks": {},
        **extra,
    }


def apply(item: dict[str, Any], lock_id: str, units: int, expires_at: int, step: lock_plan.Plan) -> None:
    """What the conditional update does when its condition holds."""
    for lid, n in step.drop.items():
        assert item["locks"].pop(lid)["units"] == n
    item["locks"][lock_id] = {"units": units, "expires_at": expires_at}
    delta = units - step.freed
    item["available_units"] -= delta
    item["locked_compute_units"] += delta


ops = st.lists(
    st.tuples(st.integers(1, 60_000), st.integers(1, 3600), st.integers(0, 4000)),  # units, timeout s, then wait s
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(ops=ops, total=st.integers(1, 200_000))
def test_planning_never_overcommits_and_never_refuses_what_fits(ops: list[tuple[int, int, int]], total: int) -> None:
    item = stack(total)
    now = 0
    for i, (units, timeout, wait) in enumerate(ops):
        step = lock_plan.plan(item, units, now)
        live = {k: v for k, v in item["locks"].items() if v["expires_at"] > now}
        could = total - sum(v["units"] for v in live.values()) >= units and len(live) < lock_plan.MAX_LOCKS_PER_STACK
        # a refusal means it truly does not fit, even after releasing what has expired
        assert step.ok == could or (not step.ok and len(item["locks"]) - len(live) > lock_plan.MAX_DROPS_PER_UPDATE)
        # only expired locks are ever dropped
        assert all(item["locks"][lid]["expires_at"] <= now for lid in step.drop)
        if step.ok:
            apply(item, f"l{i}", units, now + timeout * 1000, step)
        held = sum(v["units"] for v in item["locks"].values())
        assert item["locked_compute_units"] == held
        assert item["available_units"] == total - held >= 0
        assert len(item["locks"]) <= lock_plan.MAX_LOCKS_PER_STACK
        now += wait * 1000


def test_expired_locks_are_only_dropped_when_room_is_needed() -> None:
    item = stack(
        10_000, locks={"old": {"units": 8000, "expires_at": 5}}, available_units=2000, locked_compute_units=8000
    )
    assert lock_plan.plan(item, 1000, 10) == lock_plan.Plan(True)  # fits without touching the expired lock
    assert lock_plan.plan(item, 5000, 10) == lock_plan.Plan(True, {"old": 8000})
    assert lock_plan.plan(item, 5000, 5) == lock_plan.Plan(True, {"old": 8000})  # expiry is inclusive
    assert lock_plan.plan(item, 5000, 4) == lock_plan.Plan(False)
    assert lock_plan.plan(item, 10_001, 10) == lock_plan.Plan(False)


@pytest.mark.parametrize("flag", ["is_claimed", "is_locked", "is_locked_for_claim"])
def test_claimed_or_locked_stacks_take_no_locks(flag: str) -> None:
    assert lock_plan.plan(stack(**{flag: True}), 1, 0).ok is False


def test_the_live_lock_count_is_capped() -> None:
    full = {f"l{i}": {"units": 1, "expires_at": 10**12} for i in range(lock_plan.MAX_LOCKS_PER_STACK)}
    assert lock_plan.plan(stack(locks=full), 1, 0).ok is False


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, 8192), (1, 1), (1_000_000, 1_000_000)],
)
def test_bounds_default_and_accept(value: int | None, expected: int) -> None:
    assert lock_plan.bounded(value, 8192, 1, 1_000_000, "max_num_tokens") == expected


@pytest.mark.parametrize("value", [0, -1, 1_000_001, True, 2**64])
def test_bounds_reject(value: int) -> None:
    with pytest.raises(Unprocessable, match="max_num_tokens"):
        lock_plan.bounded(value, 8192, 1, 1_000_000, "max_num_tokens")


def test_only_a_32_byte_key_at_the_current_rotation_is_valid() -> None:
    key = base64.b64encode(b"k" * 32).decode()
    node = {"key_valid": True, "key_rotation_counter": 3, "public_key": key}
    assert lock_plan.valid_key(node, 3) == key
    assert lock_plan.valid_key(node, 4) is None
    assert lock_plan.valid_key({**node, "key_valid": False}, 3) is None
    assert lock_plan.valid_key({**node, "public_key": base64.b64encode(b"k" * 31).decode()}, 3) is None
    assert lock_plan.valid_key({**node, "public_key": "not base64!"}, 3) is None
    assert lock_plan.valid_key(None, 3) is None


@given(st.integers(0, 10**14), st.integers(0, 10**14), st.integers(1, 10**9))
def test_expiry_keys_sort_like_times(a: int, b: int, stack_id: int) -> None:
    assert (items.lock_expiry_sk(a, stack_id) <= items.lock_expiry_sk(b, stack_id)) == (a <= b)
