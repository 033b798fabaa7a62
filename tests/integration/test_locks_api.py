"""The confidential-compute lock endpoints in-process, on moto and on DynamoDB Local.

The market is seeded through the chain-event registry (Sui-shaped events, nodeplane_local/harness/network.py); purchases
go to the fake chain (nodeplane_local/harness/fakes.py), which can be told which node it draws and to fail.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest

from nodeplane import clock, store
from nodeplane.network import balances, chain_events, chainops, items
from nodeplane.network.locks import plan, proxy_api, purchase, reserve, sweeper
from nodeplane_local.harness.fakes import FakeChain
from nodeplane_local.harness.lambda_events import Context, container, http_event, invoke, schedule_event
from nodeplane_local.harness.network import (
    add_node,
    add_task,
    assert_units,
    chain_event,
    commit_key,
    inner,
    node_key,
    post_lock,
    rotate,
    seed_market,
    subscriber_at_cap,
    user_stack,
)

LOCK = "/proxy/v1/nodes/lock"
PUBLIC_KEY = "/proxy/v1/encryption/public-key"


@pytest.fixture
def chain(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeChain]:
    """Buys stacks like `db::acquire_new_stack_entry`, from the subscriber priced at the cap unless told."""
    fake = FakeChain(first_stack=1000, select=subscriber_at_cap)
    chainops.use(fake)
    # waiting for another purchase moves the test clock instead of sleeping
    monkeypatch.setattr(purchase, "sleep", clock.advance)
    yield fake
    chainops.use(None)


def stack(stack_small_id: int) -> dict[str, Any]:
    item = store.get(items.stack_pk(stack_small_id), "STACK")
    assert item is not None
    return item


def assert_atoma_error(reply: Any, status: int, code: str) -> None:
    assert reply.status == status, reply.body
    assert set(reply.body) == {"error"} and reply.body["error"]["code"] == code and reply.body["error"]["message"]


# --- the happy paths ---------------------------------------------------------------------------------


def test_first_lock_buys_from_the_cheapest_node_then_reuses_the_stack(aws_env, chain):
    seed_market()
    balances.credit("tenant-a", 1_000)
    first = post_lock()
    assert first.status == 200, first.body
    # atoma-sdk 0.1.3's NodesCreateLockResponse (tests/e2e/test_atoma_sdk.py parses it with the SDK itself)
    assert set(first.body) == {"node_small_id", "public_key", "stack_small_id", "stack_entry_digest"}
    assert first.body["node_small_id"] == 2 and first.body["stack_small_id"] == 1000
    assert first.body["stack_entry_digest"] == chain.log[-1]["id"]["txDigest"]  # the purchase's
    assert base64.b64decode(first.body["public_key"]) == node_key(2)
    assert chain.purchases == [{"task": 1, "units": 1_000_000, "price_cap": 100}]
    assert balances.balance("tenant-a") == 900  # price x 1,000,000 / 1,000,000

    again = post_lock(max_num_tokens=1000)
    assert again.status == 200, again.body
    assert again.body == {**first.body, "stack_entry_digest": None}
    assert len(chain.purchases) == 1 and balances.balance("tenant-a") == 900
    item = stack(1000)
    assert item["user"] == "tenant-a" and item["locked_compute_units"] == 8192 + 1000
    assert_units(item)


def test_the_answer_names_the_node_the_contract_selected(aws_env, chain):
    seed_market()
    balances.credit("tenant-a", 1_000)
    chain.select = lambda task, cap: 3  # the contract draws among subscribers at or below the cap
    reply = post_lock()
    assert reply.status == 200, reply.body
    assert reply.body["node_small_id"] == 3 and base64.b64decode(reply.body["public_key"]) == node_key(3)
    assert stack(reply.body["stack_small_id"])["selected_node_id"] == 3


def test_public_key_endpoint_uses_the_same_selection(aws_env, chain):
    seed_market()
    balances.credit("tenant-a", 1_000)
    reply = invoke("proxy_public_key", http_event("POST", PUBLIC_KEY, body={"model_name": "llama"}))
    assert reply.status == 200, reply.body
    assert set(reply.body) == {"public_key", "node_small_id", "stack_entry_digest", "stack_small_id"}
    assert reply.body["node_small_id"] == 2 and reply.body["stack_entry_digest"]
    assert stack(reply.body["stack_small_id"])["locked_compute_units"] == plan.DEFAULT_MAX_NUM_TOKENS


def test_existing_stacks_are_ranked_by_stack_price_and_capacity(aws_env, chain):
    seed_market()
    cheap = user_stack(7, units=10_000, node=1, price=50)
    dear = user_stack(8, units=1_000_000, node=3, price=500)
    other = user_stack(9, units=1_000_000, node=2, price=1, user="tenant-b")
    store.transact([store.put(cheap), store.put(dear), store.put(other)])
    assert post_lock(max_num_tokens=6000).body["stack_small_id"] == 7  # cheapest stack first (not tenant-b's)
    assert post_lock(max_num_tokens=6000).body["stack_small_id"] == 8  # 4,000 left on 7: not enough
    assert post_lock(max_num_tokens=4000).body["stack_small_id"] == 7  # exactly fits
    assert stack(7)["available_units"] == 0 and chain.purchases == []
    for s in (7, 8, 9):
        assert_units(stack(s))


# --- what is skipped ---------------------------------------------------------------------------------


def test_stale_and_invalid_keys_are_skipped(aws_env, chain):
    seed_market({1: 100, 2: 200, 3: 300})
    balances.credit("tenant-a", 10_000)
    store.transact([store.update(items.node_pk(1), "NODE", "SET key_valid = :f", values={":f": False})])
    rotate(2)  # node 2 and 3 keys are now stale
    commit_key(3, 2)  # node 3 commits a key at rotation 2
    reply = post_lock()
    assert reply.status == 200, reply.body
    assert chain.purchases[0]["price_cap"] == 300 and reply.body["node_small_id"] == 3


def test_an_existing_stack_on_a_node_with_a_stale_key_is_not_reused(aws_env, chain):
    seed_market({1: 100, 2: 200})
    balances.credit("tenant-a", 10_000)
    first = post_lock()
    assert first.body["node_small_id"] == 1
    rotate(2)
    commit_key(2, 2)
    second = post_lock()
    assert second.status == 200 and second.body["node_small_id"] == 2 and second.body["stack_entry_digest"]
    assert second.body["stack_small_id"] != first.body["stack_small_id"]


def test_unsubscribed_nodes_are_not_bought_from(aws_env, chain):
    seed_market()
    balances.credit("tenant-a", 1_000)
    chain_events.apply(
        [chain_event("NodeUnsubscribedFromTaskEvent", {"task_small_id": inner(1), "node_small_id": inner(2)})]
    )
    reply = post_lock()
    assert reply.status == 200 and chain.purchases[0]["price_cap"] == 200 and reply.body["node_small_id"] == 3


@pytest.mark.parametrize("case", ["deprecated", "not_confidential", "unknown_model", "no_keys", "no_rotation"])
def test_no_confidential_node_is_503(aws_env, chain, case):
    if case == "no_rotation":
        add_task(1)
        add_node(1)
    else:
        seed_market()
    balances.credit("tenant-a", 1_000)
    model = "llama"
    if case == "deprecated":
        chain_events.apply(
            [chain_event("TaskDeprecationEvent", {"task_id": "0xtask1", "task_small_id": inner(1), "epoch": "3"})]
        )
    elif case == "not_confidential":
        add_task(2, "mistral", level=2)
        add_node(9, task=2)
        model = "mistral"
    elif case == "unknown_model":
        model = "nope"
    elif case == "no_keys":
        rotate(5)
    reply = post_lock(model=model)
    assert_atoma_error(reply, 503, "SERVICE_UNAVAILABLE")
    assert model in reply.body["error"]["message"] or case == "no_keys"
    assert chain.purchases == [] and balances.balance("tenant-a") == 1_000


# --- money -------------------------------------------------------------------------------------------


def test_insufficient_balance_is_402_and_writes_nothing(aws_env, chain):
    seed_market()
    balances.credit("tenant-a", 99)  # the cheapest stack costs 100
    reply = post_lock()
    assert_atoma_error(reply, 402, "BALANCE_ERROR")
    assert chain.purchases == [] and balances.balance("tenant-a") == 99
    assert post_lock(tenant="tenant-b").status == 402  # no balance item at all
    # the guard was given back: a top-up makes the next request succeed at once
    balances.credit("tenant-a", 1)
    assert post_lock().status == 200 and balances.balance("tenant-a") == 0


@pytest.mark.parametrize("failure", ["raise", "abort"])
def test_a_failed_purchase_is_refunded(aws_env, chain, failure):
    seed_market()
    balances.credit("tenant-a", 1_000)
    chain.fail = failure
    reply = post_lock()
    # seed 000, create_lock: "`INTERNAL_SERVER_ERROR` - Communication errors or missing node public keys"
    assert_atoma_error(reply, 500, "INTERNAL_SERVER_ERROR")
    assert "refunded" in reply.body["error"]["message"]
    assert balances.balance("tenant-a") == 1_000
    assert store.get(items.stack_pk(1000), "STACK") is None
    chain.fail = None
    assert post_lock().status == 200 and balances.balance("tenant-a") == 900


def test_selected_node_without_a_valid_key_locks_nothing_and_keeps_the_stack(aws_env, chain):
    seed_market()
    add_node(4, price=50, counter=None)  # cheaper, but has never committed a key
    balances.credit("tenant-a", 1_000)
    chain.select = lambda task, cap: 4
    reply = post_lock()
    # seed 000, create_lock: "`INTERNAL_SERVER_ERROR` - Communication errors or missing node public keys"
    assert_atoma_error(reply, 500, "INTERNAL_SERVER_ERROR")
    assert "node 4" in reply.body["error"]["message"]
    bought = stack(1000)
    assert (
        bought["user"] == "tenant-a" and bought["locked_compute_units"] == 0 and bought["available_units"] == 1_000_000
    )
    # once the node's key is valid, the stack is reused instead of buying another
    commit_key(4, 1)
    again = post_lock()
    assert again.status == 200 and again.body["stack_small_id"] == 1000 and again.body["stack_entry_digest"] is None
    assert len(chain.purchases) == 1


def test_balance_credit_rejects_non_positive_amounts(aws_env):
    from nodeplane.errors import BadRequest

    with pytest.raises(BadRequest):
        balances.credit("tenant-a", 0)
    assert balances.credit("tenant-a", 5) == 5 and balances.credit("tenant-a", 7) == 12


# --- concurrency of purchases ------------------------------------------------------------------------


def test_a_purchase_in_flight_is_waited_for_then_429(aws_env, chain):
    seed_market()
    balances.credit("tenant-a", 1_000)
    store.transact(
        [
            store.put(
                {
                    "pk": items.purchase_guard_pk("tenant-a", 1),
                    "sk": "GUARD",
                    "holder": "other",
                    "lease_until": clock.now() + 20,
                }
            )
        ]
    )
    reply = post_lock()
    assert_atoma_error(reply, 429, "TOO_MANY_REQUESTS")
    assert chain.purchases == [] and balances.balance("tenant-a") == 1_000
    clock.advance(30)  # the holder died: its lease runs out
    assert post_lock().status == 200


def test_a_request_waiting_on_a_purchase_reuses_the_stack_it_bought(aws_env, chain):
    seed_market()
    balances.credit("tenant-a", 1_000)
    second: dict[str, Any] = {}
    # while the first request is inside the chain call, a second one arrives for the same user and task
    chain.before = lambda: (setattr(chain, "before", None), second.setdefault("reply", post_lock(max_num_tokens=100)))
    first = post_lock()
    assert first.status == 200 and first.body["stack_entry_digest"]
    # the second saw the guard held, waited (test clock), never got the stack in time, and answered 429
    assert second["reply"].status == 429
    third = post_lock(max_num_tokens=100)
    assert third.status == 200 and third.body["stack_small_id"] == first.body["stack_small_id"]
    assert third.body["stack_entry_digest"] is None and len(chain.purchases) == 1


def test_the_guard_names_a_stack_the_index_does_not_show_yet(aws_env, chain):
    seed_market()
    bought = user_stack(55, units=1_000_000, node=2)
    del bought["gsi1pk"], bought["gsi1sk"]  # as if gsi1 had not caught up with the purchase yet
    store.transact(
        [
            store.put(bought),
            store.put(
                {
                    "pk": items.purchase_guard_pk("tenant-a", 1),
                    "sk": "GUARD",
                    "lease_until": 0,
                    "last_stack_small_id": 55,
                }
            ),
        ]
    )
    reply = post_lock()  # no balance: would be 402 if it tried to buy
    assert reply.status == 200 and reply.body["stack_small_id"] == 55 and reply.body["stack_entry_digest"] is None


# --- expiry and release ------------------------------------------------------------------------------


def small_stack(stack_small_id: int = 7, units: int = 10_000, node: int = 2) -> None:
    store.transact([store.put(user_stack(stack_small_id, units=units, node=node))])


def test_expired_locks_are_released_at_read_time(aws_env, chain):
    seed_market()
    small_stack(units=10_000)
    assert post_lock(max_num_tokens=8000, timeout=5).body["stack_small_id"] == 7
    assert post_lock(max_num_tokens=8000).status == 402  # no room, and no money to buy
    clock.advance(6)
    reply = post_lock(max_num_tokens=8000, timeout=100)
    assert reply.status == 200 and reply.body["stack_small_id"] == 7
    item = stack(7)
    assert item["locked_compute_units"] == 8000 and len(item["locks"]) == 1
    assert_units(item)


def test_the_sweeper_releases_expired_locks_exactly_once(aws_env, chain):
    seed_market()
    small_stack(units=100_000)
    for timeout in (10, 20, 3600):
        assert post_lock(max_num_tokens=1000, timeout=timeout).status == 200
    sweeper = "schedule_locks_sweeper"
    assert invoke_schedule(sweeper) == {"stacks": 0, "released_units": 0}  # nothing due yet
    clock.advance(15)
    assert invoke_schedule(sweeper)["released_units"] == 1000
    item = stack(7)
    earliest = min(int(lk["expires_at"]) for lk in item["locks"].values())
    assert item["locked_compute_units"] == 2000 and item["gsi3sk"] == items.lock_expiry_sk(earliest, 7)
    clock.advance(10)
    assert invoke_schedule(sweeper)["released_units"] == 1000
    assert invoke_schedule(sweeper)["released_units"] == 0  # once
    clock.advance(3600)
    assert invoke_schedule(sweeper)["released_units"] == 1000
    item = stack(7)
    assert item["locks"] == {} and item["available_units"] == 100_000 and "gsi3pk" not in item
    assert_units(item)


def test_release_returns_exactly_the_reserved_units_once(aws_env, chain):
    seed_market()
    small_stack(units=100_000)
    grant = proxy_api.lock("tenant-a", "llama", 1234, 60)
    assert stack(7)["available_units"] == 100_000 - 1234
    assert reserve.release(7, grant.lock_id) == 1234
    assert reserve.release(7, grant.lock_id) == 0
    item = stack(7)
    assert item["available_units"] == 100_000 and item["locked_compute_units"] == 0
    clock.advance(120)
    assert sweeper.sweep()["released_units"] == 0  # the sweeper does not release it a second time


def invoke_schedule(function: str) -> Any:
    with container(function) as module:
        return module.lambda_handler(schedule_event(), Context())


# --- bad input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({}, 422),
        ({"model": ""}, 422),
        ({"model": 5}, 422),
        ({"model": "llama", "max_num_tokens": 0}, 422),
        ({"model": "llama", "max_num_tokens": 1_000_001}, 422),
        ({"model": "llama", "max_num_tokens": "8192"}, 422),
        ({"model": "llama", "max_num_tokens": -1}, 422),
        ({"model": "llama", "timeout": 0}, 422),
        ({"model": "llama", "timeout": 3601}, 422),
        ({"model": "llama", "timeout": 1.5}, 422),
        ({"model": "llama", "max_num_tokens": 2**70}, 422),
        ([], 422),
    ],
)
def test_bad_input_is_4xx_in_the_atoma_envelope(aws_env, chain, body, status):
    seed_market()
    reply = invoke("proxy_lock", http_event("POST", LOCK, body=body))
    assert_atoma_error(reply, status, "REQUEST_ERROR")
    assert chain.purchases == []


def test_malformed_json_unauthenticated_and_nulls(aws_env, chain):
    seed_market()
    balances.credit("tenant-a", 1_000)
    assert_atoma_error(invoke("proxy_lock", http_event("POST", LOCK, raw_body="{nope")), 400, "REQUEST_ERROR")
    assert_atoma_error(post_lock(tenant=None), 401, "AUTH_ERROR")
    bad = invoke("proxy_public_key", http_event("POST", PUBLIC_KEY, body={"model": "llama"}))
    assert_atoma_error(bad, 422, "REQUEST_ERROR")
    ok = post_lock(max_num_tokens=None, timeout=None)
    assert ok.status == 200
    item = stack(ok.body["stack_small_id"])
    (only,) = item["locks"].values()
    assert only["units"] == 8192 and only["expires_at"] - clock.now() * 1000 == pytest.approx(60_000, abs=5_000)
