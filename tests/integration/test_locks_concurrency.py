"""Hundreds of concurrent lock requests against DynamoDB Local: the stacks never overcommit.

The engine fixtures (``dynamodb_local``, ``moto_server``) come from tests/conftest.py.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from nodeplane import clock, store
from nodeplane.network import balances, chainops, items
from nodeplane.network.locks import plan
from nodeplane_local.harness.fakes import FakeChain
from nodeplane_local.harness.lambda_events import Context, container, schedule_event
from nodeplane_local.harness.network import (
    assert_units,
    commit_key,
    post_lock,
    rotate,
    seed_market,
    subscriber_at_cap,
    user_stack,
)

pytestmark = pytest.mark.dynamodb_local

REQUESTS = 200
IN_FLIGHT = 100
TOKENS = 8192


@pytest.fixture
def chain() -> Any:
    fake = FakeChain(first_stack=1000, select=subscriber_at_cap)
    chainops.use(fake)
    yield fake
    chainops.use(None)


def own_stack(stack_small_id: int, units: int, node: int, price: int) -> None:
    store.transact([store.put(user_stack(stack_small_id, units=units, node=node, price=price))])


def hammer(n: int = REQUESTS, tokens: int = TOKENS) -> list[Any]:
    with ThreadPoolExecutor(max_workers=IN_FLIGHT) as pool:
        return list(pool.map(lambda _: post_lock(max_num_tokens=tokens), range(n)))


def sweep() -> dict[str, int]:
    with container("schedule_locks_sweeper") as module:
        result: dict[str, int] = module.lambda_handler(schedule_event(), Context())
    return result


@pytest.mark.parametrize("aws_env", ["dynamodb_local"], indirect=True)
def test_exactly_as_many_locks_succeed_as_fit(aws_env, chain):
    seed_market({1: 100, 2: 200, 3: 300})
    own_stack(10, 100_000, node=1, price=100)  # 12 locks of 8192 fit
    own_stack(11, 50_000, node=2, price=150)  # 6 fit
    own_stack(12, 1_000_000, node=3, price=50)  # cheapest, but node 3's key goes stale: never used
    rotate(2)
    commit_key(1, 2)
    commit_key(2, 2)
    # no balance: a request that finds no room cannot buy, so successes are exactly what fits
    replies = hammer()
    statuses = Counter(r.status for r in replies)
    fits = 100_000 // TOKENS + 50_000 // TOKENS
    assert statuses[200] == fits, statuses
    assert set(statuses) <= {200, 402, 429}, statuses  # never a 500, nor the 400 the Atoma proxy answers
    assert chain.purchases == []
    per_stack = Counter(r.body["stack_small_id"] for r in replies if r.status == 200)
    assert per_stack == {10: 12, 11: 6}
    for s, total in ((10, 100_000), (11, 50_000), (12, 1_000_000)):
        item = store.get(items.stack_pk(s), "STACK")
        assert item is not None
        assert_units(item)
        assert item["locked_compute_units"] == per_stack.get(s, 0) * TOKENS <= total

    clock.advance(plan.DEFAULT_TIMEOUT_SECONDS + 1)
    assert sweep()["released_units"] == fits * TOKENS
    for s, total in ((10, 100_000), (11, 50_000)):
        item = store.get(items.stack_pk(s), "STACK")
        assert item is not None
        assert item["available_units"] == total and item["locked_compute_units"] == 0 and item["locks"] == {}
        assert "gsi3pk" not in item


@pytest.mark.parametrize("aws_env", ["dynamodb_local"], indirect=True)
def test_concurrent_first_locks_buy_one_stack_and_share_it(aws_env, chain):
    seed_market()
    balances.credit("tenant-a", 100)  # exactly one stack's price
    replies = hammer()
    statuses = Counter(r.status for r in replies)
    assert set(statuses) <= {200, 402, 429}, statuses
    assert len(chain.purchases) == 1 and balances.balance("tenant-a") == 0
    stacks = {r.body["stack_small_id"] for r in replies if r.status == 200}
    assert stacks == {1000}
    item = store.get(items.stack_pk(1000), "STACK")
    assert item is not None
    assert_units(item)
    assert item["locked_compute_units"] == statuses[200] * TOKENS <= 1_000_000
    # most requests waited for the purchase and reused the stack instead of failing
    assert statuses[200] > REQUESTS // 4, statuses
    clock.advance(plan.DEFAULT_TIMEOUT_SECONDS + 1)
    sweep()
    item = store.get(items.stack_pk(1000), "STACK")
    assert item is not None and item["available_units"] == 1_000_000 and item["locks"] == {}
