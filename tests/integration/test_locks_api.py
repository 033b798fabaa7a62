"""The confidential-compute lock endpoints in-process, on moto and on DynamoDB Local.

The market is seeded through the chain-event projection (Sui-shaped events); purchases go to a fake
ChainOps that emits StackCreatedEvent-shaped events and can be told to fail.
"""

from __future__ import annotations

import base64
import itertools
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from nodeplane import clock, store
from nodeplane.network import balances, chain_events, chainops, items, projection
from nodeplane.network.chainops import TxOutcome
from nodeplane.network.locks import plan, proxy_api, purchase, reserve, sweeper
from tests.support.lambda_events import http_event, invoke

PKG = "0x" + "ab" * 32
LOCK = "/proxy/v1/nodes/lock"
PUBLIC_KEY = "/proxy/v1/encryption/public-key"
_tx = itertools.count(1)


def event(name: str, data: dict[str, Any], *, sender: str = "0x" + "11" * 32) -> dict[str, Any]:
    return {
        "id": {"txDigest": f"Tx{next(_tx)}", "eventSeq": "0"},
        "packageId": PKG,
        "transactionModule": "db",
        "sender": sender,
        "type": f"{PKG}::db::{name}",
        "parsedJson": data,
        "timestampMs": "1795000000000",
    }


def inner(n: int) -> dict[str, str]:
    return {"inner": str(n)}


def node_key(node: int) -> bytes:
    return bytes([node]) * 32


def add_task(task: int, model: str = "llama", level: int = 1) -> None:
    chain_events.apply(
        [
            event(
                "TaskRegisteredEvent",
                {
                    "task_id": f"0xtask{task}",
                    "task_small_id": inner(task),
                    "role": inner(0),
                    "model_name": model,
                    "security_level": inner(level),
                    "minimum_reputation_score": None,
                },
            )
        ]
    )


def add_node(node: int, *, task: int = 1, price: int = 100, counter: int | None = 1) -> None:
    """A registered node subscribed to ``task``, with a key committed at rotation ``counter`` (None: no key)."""
    chain_events.apply(
        [
            event(
                "NodeRegisteredEvent",
                {"badge_id": f"0xbadge{node}", "node_small_id": inner(node)},
                sender=f"0x{node:064x}",
            )
        ]
    )
    subscribe(node, task, price)
    if counter is not None:
        commit_key(node, counter)


def commit_key(node: int, counter: int) -> None:
    chain_events.apply(
        [
            event(
                "NodePublicKeyCommittmentEvent",
                {
                    "epoch": "1",
                    "key_rotation_counter": str(counter),
                    "node_id": inner(node),
                    "new_public_key": list(node_key(node)),
                    "device_type": 300,
                    "evidence_bytes": [],
                },
            )
        ]
    )


def subscribe(node: int, task: int, price: int) -> None:
    chain_events.apply(
        [
            event(
                "NodeSubscribedToTaskEvent",
                {
                    "task_small_id": inner(task),
                    "node_small_id": inner(node),
                    "price_per_one_million_compute_units": str(price),
                    "max_num_compute_units": "1000000",
                },
            )
        ]
    )


def rotate(counter: int) -> None:
    chain_events.apply(
        [event("NewKeyRotationEvent", {"key_rotation_counter": str(counter), "epoch": "1", "nonce": "7"})]
    )


def seed_market(prices: dict[int, int] | None = None, *, model: str = "llama", task: int = 1) -> None:
    """One confidential task of ``model``; nodes {id: price}, each with a valid key at rotation 1."""
    rotate(1)
    add_task(task, model)
    for node, price in (prices or {1: 300, 2: 100, 3: 200}).items():
        add_node(node, task=task, price=price)


class FakeChain:
    """Buys stacks like `db::acquire_new_stack_entry`: the cheapest subscriber at or below the cap, unless told."""

    def __init__(self) -> None:
        self.stacks = itertools.count(1000)
        self.fail: str | None = None  # "raise" or "abort"
        self.select: Callable[[int, int], int] | None = None
        self.calls: list[dict[str, int]] = []
        self.before: Callable[[], None] | None = None  # runs inside the purchase (to interleave requests)
        self._lock = threading.Lock()

    def buy_stack(self, *, task_small_id: int, num_compute_units: int, price_cap: int) -> TxOutcome:
        with self._lock:
            self.calls.append({"task": task_small_id, "units": num_compute_units, "price_cap": price_cap})
            stack = next(self.stacks)
        if self.before:
            self.before()
        if self.fail == "raise":
            raise RuntimeError("sui rpc unreachable")
        if self.fail == "abort":
            return TxOutcome(digest=f"D{stack}", ok=False, error="MoveAbort(312012005)")
        if self.select:
            node = self.select(task_small_id, price_cap)
        else:
            # deterministic stand-in for the draw: the subscriber priced exactly at the cap
            subs, _ = store.query("gsi1pk", items.subs_index_pk(task_small_id), sk_name="gsi1sk", index="gsi1")
            node = next(int(s["node_small_id"]) for s in subs if s["price_per_one_million_compute_units"] == price_cap)
        created = {
            "stack_id": f"0xstack{stack}",
            "stack_small_id": inner(stack),
            "owner": "0x" + "99" * 32,
            "task_small_id": inner(task_small_id),
            "selected_node_id": inner(node),
            "num_compute_units": str(num_compute_units),
            "price_per_one_million_compute_units": str(price_cap),
        }
        return TxOutcome(
            digest=f"Dig{stack}",
            events=[
                {"type": f"{PKG}::db::StackCreatedEvent", "parsedJson": created, "id": {"txDigest": f"Dig{stack}"}}
            ],
        )

    def __getattr__(self, name: str) -> Any:
        raise NotImplementedError(name)


@pytest.fixture
def chain(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeChain]:
    fake = FakeChain()
    chainops.use(fake)  # type: ignore[arg-type]
    # waiting for another purchase moves the test clock instead of sleeping
    monkeypatch.setattr(purchase, "sleep", clock.advance)
    yield fake
    chainops.use(None)


def lock(tenant: str = "tenant-a", **body: Any) -> Any:
    body.setdefault("model", "llama")
    return invoke("proxy_lock", http_event("POST", LOCK, body=body, tenant=tenant))


def stack(stack_small_id: int) -> dict[str, Any]:
    item = store.get(items.stack_pk(stack_small_id), "STACK")
    assert item is not None
    return item


def assert_atoma_error(reply: Any, status: int, code: str) -> None:
    assert reply.status == status, reply.body
    assert set(reply.body) == {"error"} and reply.body["error"]["code"] == code and reply.body["error"]["message"]


def assert_units(item: dict[str, Any]) -> None:
    """The stack's accounting adds up: available = total - computed - locked = total - sum of its locks."""
    held = sum(int(lk["units"]) for lk in (item.get("locks") or {}).values())
    assert item["locked_compute_units"] == held
    assert item["available_units"] == item["num_compute_units"] - item["already_computed_units"] - held
    assert item["available_units"] >= 0


# --- the happy paths ---------------------------------------------------------------------------------


def test_first_lock_buys_from_the_cheapest_node_then_reuses_the_stack(aws_env, chain):
    seed_market()
    balances.credit("tenant-a", 1_000)
    first = lock()
    assert first.status == 200, first.body
    # atoma-sdk 0.1.3's NodesCreateLockResponse (tests/e2e/test_atoma_sdk.py parses it with the SDK itself)
    assert set(first.body) == {"node_small_id", "public_key", "stack_small_id", "stack_entry_digest"}
    assert first.body["node_small_id"] == 2 and first.body["stack_small_id"] == 1000
    assert first.body["stack_entry_digest"] == "Dig1000"
    assert base64.b64decode(first.body["public_key"]) == node_key(2)
    assert chain.calls == [{"task": 1, "units": 1_000_000, "price_cap": 100}]
    assert balances.balance("tenant-a") == 900  # price x 1,000,000 / 1,000,000

    again = lock(max_num_tokens=1000)
    assert again.status == 200, again.body
    assert again.body == {**first.body, "stack_entry_digest": None}
    assert len(chain.calls) == 1 and balances.balance("tenant-a") == 900
    item = stack(1000)
    assert item["user"] == "tenant-a" and item["locked_compute_units"] == 8192 + 1000
    assert_units(item)


def test_the_answer_names_the_node_the_contract_selected(aws_env, chain):
    seed_market()
    balances.credit("tenant-a", 1_000)
    chain.select = lambda task, cap: 3  # the contract draws among subscribers at or below the cap
    reply = lock()
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
    cheap = projection.stack_item(
        {"stack_small_id": 7, "selected_node_id": 1, "num_compute_units": 10_000,
         "price_per_one_million_compute_units": 50, "task_small_id": 1},
        task={"security_level": 1}, user="tenant-a",
    )  # fmt: skip
    dear = projection.stack_item(
        {"stack_small_id": 8, "selected_node_id": 3, "num_compute_units": 1_000_000,
         "price_per_one_million_compute_units": 500, "task_small_id": 1},
        task={"security_level": 1}, user="tenant-a",
    )  # fmt: skip
    other = projection.stack_item(
        {"stack_small_id": 9, "selected_node_id": 2, "num_compute_units": 1_000_000,
         "price_per_one_million_compute_units": 1, "task_small_id": 1},
        task={"security_level": 1}, user="tenant-b",
    )  # fmt: skip
    store.transact([store.put(cheap), store.put(dear), store.put(other)])
    assert lock(max_num_tokens=6000).body["stack_small_id"] == 7  # cheapest stack first (not tenant-b's)
    assert lock(max_num_tokens=6000).body["stack_small_id"] == 8  # 4,000 left on 7: not enough
    assert lock(max_num_tokens=4000).body["stack_small_id"] == 7  # exactly fits
    assert stack(7)["available_units"] == 0 and chain.calls == []
    for s in (7, 8, 9):
        assert_units(stack(s))


# --- what is skipped ---------------------------------------------------------------------------------


def test_stale_and_invalid_keys_are_skipped(aws_env, chain):
    seed_market({1: 100, 2: 200, 3: 300})
    balances.credit("tenant-a", 10_000)
    store.transact([store.update(items.node_pk(1), "NODE", "SET key_valid = :f", values={":f": False})])
    rotate(2)  # node 2 and 3 keys are now stale
    commit_key(3, 2)  # node 3 commits a key at rotation 2
    reply = lock()
    assert reply.status == 200, reply.body
    assert chain.calls[0]["price_cap"] == 300 and reply.body["node_small_id"] == 3


def test_an_existing_stack_on_a_node_with_a_stale_key_is_not_reused(aws_env, chain):
    seed_market({1: 100, 2: 200})
    balances.credit("tenant-a", 10_000)
    first = lock()
    assert first.body["node_small_id"] == 1
    rotate(2)
    commit_key(2, 2)
    second = lock()
    assert second.status == 200 and second.body["node_small_id"] == 2 and second.body["stack_entry_digest"]
    assert second.body["stack_small_id"] != first.body["stack_small_id"]


def test_unsubscribed_nodes_are_not_bought_from(aws_env, chain):
    seed_market()
    balances.credit("tenant-a", 1_000)
    chain_events.apply([event("NodeUnsubscribedFromTaskEvent", {"task_small_id": inner(1), "node_small_id": inner(2)})])
    reply = lock()
    assert reply.status == 200 and chain.calls[0]["price_cap"] == 200 and reply.body["node_small_id"] == 3


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
            [event("TaskDeprecationEvent", {"task_id": "0xtask1", "task_small_id": inner(1), "epoch": "3"})]
        )
    elif case == "not_confidential":
        add_task(2, "mistral", level=2)
        add_node(9, task=2)
        model = "mistral"
    elif case == "unknown_model":
        model = "nope"
    elif case == "no_keys":
        rotate(5)
    reply = lock(model=model)
    assert_atoma_error(reply, 503, "SERVICE_UNAVAILABLE")
    assert model in reply.body["error"]["message"] or case == "no_keys"
    assert chain.calls == [] and balances.balance("tenant-a") == 1_000


# --- money -------------------------------------------------------------------------------------------


def test_insufficient_balance_is_402_and_writes_nothing(aws_env, chain):
    seed_market()
    balances.credit("tenant-a", 99)  # the cheapest stack costs 100
    reply = lock()
    assert_atoma_error(reply, 402, "BALANCE_ERROR")
    assert chain.calls == [] and balances.balance("tenant-a") == 99
    assert lock(tenant="tenant-b").status == 402  # no balance item at all
    # the guard was given back: a top-up makes the next request succeed at once
    balances.credit("tenant-a", 1)
    assert lock().status == 200 and balances.balance("tenant-a") == 0


@pytest.mark.parametrize("failure", ["raise", "abort"])
def test_a_failed_purchase_is_refunded(aws_env, chain, failure):
    seed_market()
    balances.credit("tenant-a", 1_000)
    chain.fail = failure
    reply = lock()
    assert_atoma_error(reply, 503, "SERVICE_UNAVAILABLE")
    assert "refunded" in reply.body["error"]["message"]
    assert balances.balance("tenant-a") == 1_000
    assert store.get(items.stack_pk(1000), "STACK") is None
    chain.fail = None
    assert lock().status == 200 and balances.balance("tenant-a") == 900


def test_selected_node_without_a_valid_key_locks_nothing_and_keeps_the_stack(aws_env, chain):
    seed_market()
    add_node(4, price=50, counter=None)  # cheaper, but has never committed a key
    balances.credit("tenant-a", 1_000)
    chain.select = lambda task, cap: 4
    reply = lock()
    assert_atoma_error(reply, 503, "SERVICE_UNAVAILABLE")
    assert "node 4" in reply.body["error"]["message"]
    bought = stack(1000)
    assert (
        bought["user"] == "tenant-a" and bought["locked_compute_units"] == 0 and bought["available_units"] == 1_000_000
    )
    # once the node's key is valid, the stack is reused instead of buying another
    commit_key(4, 1)
    again = lock()
    assert again.status == 200 and again.body["stack_small_id"] == 1000 and again.body["stack_entry_digest"] is None
    assert len(chain.calls) == 1


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
    reply = lock()
    assert_atoma_error(reply, 429, "TOO_MANY_REQUESTS")
    assert chain.calls == [] and balances.balance("tenant-a") == 1_000
    clock.advance(30)  # the holder died: its lease runs out
    assert lock().status == 200


def test_a_request_waiting_on_a_purchase_reuses_the_stack_it_bought(aws_env, chain):
    seed_market()
    balances.credit("tenant-a", 1_000)
    second: dict[str, Any] = {}
    # while the first request is inside the chain call, a second one arrives for the same user and task
    chain.before = lambda: (setattr(chain, "before", None), second.setdefault("reply", lock(max_num_tokens=100)))
    first = lock()
    assert first.status == 200 and first.body["stack_entry_digest"]
    # the second saw the guard held, waited (test clock), never got the stack in time, and answered 429
    assert second["reply"].status == 429
    third = lock(max_num_tokens=100)
    assert third.status == 200 and third.body["stack_small_id"] == first.body["stack_small_id"]
    assert third.body["stack_entry_digest"] is None and len(chain.calls) == 1


def test_the_guard_names_a_stack_the_index_does_not_show_yet(aws_env, chain):
    seed_market()
    bought = projection.stack_item(
        {"stack_small_id": 55, "selected_node_id": 2, "num_compute_units": 1_000_000,
         "price_per_one_million_compute_units": 100, "task_small_id": 1},
        task={"security_level": 1}, user="tenant-a",
    )  # fmt: skip
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
    reply = lock()  # no balance: would be 402 if it tried to buy
    assert reply.status == 200 and reply.body["stack_small_id"] == 55 and reply.body["stack_entry_digest"] is None


# --- expiry and release ------------------------------------------------------------------------------


def small_stack(stack_small_id: int = 7, units: int = 10_000, node: int = 2) -> None:
    item = projection.stack_item(
        {"stack_small_id": stack_small_id, "selected_node_id": node, "num_compute_units": units,
         "price_per_one_million_compute_units": 100, "task_small_id": 1},
        task={"security_level": 1}, user="tenant-a",
    )  # fmt: skip
    store.transact([store.put(item)])


def test_expired_locks_are_released_at_read_time(aws_env, chain):
    seed_market()
    small_stack(units=10_000)
    assert lock(max_num_tokens=8000, timeout=5).body["stack_small_id"] == 7
    assert lock(max_num_tokens=8000).status == 402  # no room, and no money to buy
    clock.advance(6)
    reply = lock(max_num_tokens=8000, timeout=100)
    assert reply.status == 200 and reply.body["stack_small_id"] == 7
    item = stack(7)
    assert item["locked_compute_units"] == 8000 and len(item["locks"]) == 1
    assert_units(item)


def test_the_sweeper_releases_expired_locks_exactly_once(aws_env, chain):
    seed_market()
    small_stack(units=100_000)
    for timeout in (10, 20, 3600):
        assert lock(max_num_tokens=1000, timeout=timeout).status == 200
    sweeper = "locks_sweeper"
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
    from tests.support.lambda_events import Context, container

    with container(function) as module:
        return module.lambda_handler({"source": "aws.events", "detail-type": "Scheduled Event"}, Context())


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
    assert chain.calls == []


def test_malformed_json_unauthenticated_and_nulls(aws_env, chain):
    seed_market()
    balances.credit("tenant-a", 1_000)
    assert_atoma_error(invoke("proxy_lock", http_event("POST", LOCK, raw_body="{nope")), 400, "REQUEST_ERROR")
    assert_atoma_error(lock(tenant=None), 401, "AUTH_ERROR")
    bad = invoke("proxy_public_key", http_event("POST", PUBLIC_KEY, body={"model": "llama"}))
    assert_atoma_error(bad, 422, "REQUEST_ERROR")
    ok = lock(max_num_tokens=None, timeout=None)
    assert ok.status == 200
    item = stack(ok.body["stack_small_id"])
    (only,) = item["locks"].values()
    assert only["units"] == 8192 and only["expires_at"] - clock.now() * 1000 == pytest.approx(60_000, abs=5_000)
