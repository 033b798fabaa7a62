"""The purchase saga in-process, on moto and on DynamoDB Local: every step it can be stopped at, and what the
request itself or the purchase sweeper makes of it. After each scenario the books add up (tests/support/money.py):
credited = balance + charged - refunded for every user, no user charged without a stack, no stack adopted twice.

A "kill" raises ``Killed``, a BaseException no ``except Exception`` catches: like SIGKILL, it leaves everything
where it was. tests/e2e/test_purchase_crashes.py kills the real local runtime.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from nodeplane import clock, metrics, store
from nodeplane.network import balances, chainops, items
from nodeplane.network.chainops import BeforeSubmit, Lookup, TxOutcome
from nodeplane.network.locks import purchase, reserve
from nodeplane.network.purchases import intents, saga
from nodeplane.network.purchases.intents import BUYING, DEBITED, DONE, REFUNDED
from nodeplane.settings import settings
from nodeplane.store.dynamo import TransactionFailed
from nodeplane_local.harness.fakes import FakeChain
from nodeplane_local.harness.lambda_events import Context, container, http_event, invoke, schedule_event
from nodeplane_local.harness.network import post_lock, seed_market, subscriber_at_cap
from tests.support import emf
from tests.support.money import Books, scan

LOCK = "/proxy/v1/nodes/lock"
PRICE = 100  # the cheapest subscription of seed_market: one stack costs 100


class Killed(BaseException):
    """The process dies here: no handler runs, no cleanup happens."""


class Chain(FakeChain):
    """The fake chain, with a process death at a chosen point of the purchase and a chain that may not know yet."""

    kill_at: str | None = None  # "before_digest", "before_submit", "after_chain"
    not_final: bool = False

    def buy_stack(
        self,
        *,
        task_small_id: int,
        num_compute_units: int,
        price_cap: int,
        purchase_id: str | None = None,
        before_submit: BeforeSubmit | None = None,
    ) -> TxOutcome:
        if self.kill_at == "before_digest":
            raise Killed

        def record(digest: str) -> None:
            assert before_submit is not None
            before_submit(digest)
            if self.kill_at == "before_submit":
                raise Killed

        outcome = super().buy_stack(
            task_small_id=task_small_id,
            num_compute_units=num_compute_units,
            price_cap=price_cap,
            purchase_id=purchase_id,
            before_submit=record,
        )
        if self.kill_at == "after_chain":
            raise Killed
        return outcome

    def lookup(self, digest: str) -> Lookup:
        answer = super().lookup(digest)
        return Lookup(None, final=False) if self.not_final and answer.outcome is None else answer


@pytest.fixture
def chain(monkeypatch: pytest.MonkeyPatch) -> Iterator[Chain]:
    fake = Chain(first_stack=1000, select=subscriber_at_cap)
    chainops.use(fake)
    monkeypatch.setattr(purchase, "sleep", clock.advance)
    yield fake
    chainops.use(None)


def books() -> Books:
    return Books.read(scan(store.dynamodb(), settings().table_name))


def only_intent(user: str = "tenant-a") -> dict[str, Any]:
    [intent] = intents.user_intents(user)
    return intent


def sweep() -> dict[str, int]:
    with container("schedule_purchase_sweeper") as module:
        result: dict[str, int] = module.lambda_handler(schedule_event(), Context())
    return result


def lease_passes() -> None:
    clock.advance(settings().purchase_lease_seconds + 1)


# --- the steps, when nothing goes wrong ------------------------------------------------------------------------------


def test_the_intent_is_born_with_the_debit_and_a_refused_debit_writes_nothing(aws_env, chain):
    seed_market()
    balances.credit("tenant-a", PRICE - 1)
    assert post_lock().status == 402
    assert intents.user_intents("tenant-a") == [] and chain.purchases == []
    balances.credit("tenant-a", 1)
    reply = post_lock()
    assert reply.status == 200, reply.body
    intent = only_intent()
    assert (intent["state"], intent["amount"], intent["price_cap"], intent["task_small_id"]) == (DONE, PRICE, PRICE, 1)
    assert intent["digest"] == reply.body["stack_entry_digest"] and intent["digests"] == {intent["digest"]}
    assert intent["stack_small_id"] == reply.body["stack_small_id"] and "gsi3pk" not in intent
    stack = store.get(items.stack_pk(reply.body["stack_small_id"]), "STACK")
    assert stack is not None
    assert (stack["user"], stack["purchase_intent"], stack["purchase_cost"]) == ("tenant-a", intent["intent_id"], PRICE)
    claim = store.get(items.purchase_tx_pk(intent["digest"]), "CLAIM")
    assert claim is not None and claim["intent_id"] == intent["intent_id"]
    assert balances.account("tenant-a") == {"balance": 0, "credited": PRICE, "refunded": 0}
    books().check()


def test_a_request_processed_twice_buys_one_stack(aws_env, chain):
    seed_market()
    balances.credit("tenant-a", 10 * PRICE)
    whole = {"model": "llama", "max_num_tokens": 1_000_000}  # the whole stack: the repeat cannot reuse it
    event = http_event("POST", LOCK, body=whole)
    first, again = invoke("proxy_lock", event), invoke("proxy_lock", event)
    assert first.status == again.status == 200, (first.body, again.body)
    assert again.body == first.body and again.headers["X-Lock-Id"] == first.headers["X-Lock-Id"]
    assert len(chain.purchases) == 1 and balances.balance("tenant-a") == 9 * PRICE
    # a client's retry with the same Idempotency-Key is the same purchase too
    keyed = [http_event("POST", LOCK, body=whole, headers={"Idempotency-Key": "retry-7"}) for _ in range(2)]
    replies = [invoke("proxy_lock", e) for e in keyed]
    assert replies[0].body == replies[1].body and replies[0].body["stack_small_id"] != first.body["stack_small_id"]
    assert len(chain.purchases) == 2 and balances.balance("tenant-a") == 8 * PRICE
    books().check()


@pytest.mark.parametrize("failure", ["raise", "abort"])
def test_a_purchase_the_chain_did_not_make_is_refunded_in_the_request(aws_env, chain, failure):
    seed_market()
    balances.credit("tenant-a", PRICE)
    chain.fail = failure
    reply = post_lock()
    assert reply.status == 500 and "refunded" in reply.body["error"]["message"]
    intent = only_intent()
    assert intent["state"] == REFUNDED and ("digest" in intent) == (failure == "abort")
    assert balances.balance("tenant-a") == PRICE
    books().check()


def test_an_answer_lost_after_the_chain_bought_is_read_back_and_the_lock_granted(aws_env, chain):
    seed_market()
    balances.credit("tenant-a", PRICE)
    chain.crash_after["buy_stack"] = 1  # the transaction lands, its answer is lost
    reply = post_lock()
    assert reply.status == 200, reply.body
    assert reply.body["stack_entry_digest"] == chain.log[-1]["id"]["txDigest"] == only_intent()["digest"]
    assert only_intent()["state"] == DONE and len(chain.purchases) == 1
    books().check()


def test_writes_the_sdk_sent_twice_after_they_landed_are_not_taken_for_replays(aws_env, chain, monkeypatch):
    """botocore retries a request whose answer it did not get (a timeout, a 5xx): the write may have landed, and
    its retry then fails on its own condition. Every write of the saga and the reservation is sent twice here."""
    seed_market()
    balances.credit("tenant-a", PRICE)
    real = store.transact

    def twice(ops: list[store.Op], *, token: str | None = None) -> None:
        real(ops)
        real(ops)

    class Store:
        def __getattr__(self, name: str) -> Any:
            return getattr(store, name)

        transact = staticmethod(twice)

    monkeypatch.setattr(saga, "store", Store())
    monkeypatch.setattr(reserve, "store", Store())
    reply = post_lock()
    assert reply.status == 200, reply.body
    again = post_lock(max_num_tokens=1000)  # a reservation on the stack, sent twice too
    assert again.status == 200 and again.body["stack_small_id"] == reply.body["stack_small_id"]
    assert len(chain.purchases) == 1 and only_intent()["state"] == DONE
    books().check()  # the locks add up: each reservation counted once


# --- killed mid-purchase: the sweeper finishes it -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kill_at", "left", "ends"),
    [
        ("before_digest", DEBITED, REFUNDED),  # debited, nothing signed
        ("before_submit", BUYING, REFUNDED),  # digest recorded, never submitted: the chain says never
        ("after_chain", BUYING, DONE),  # bought on chain, not adopted: the sweeper adopts it for the user
    ],
)
def test_a_purchase_killed_mid_way_is_finished_by_the_sweeper_after_its_lease(aws_env, chain, kill_at, left, ends):
    seed_market()
    balances.credit("tenant-a", PRICE)
    chain.kill_at = kill_at
    with pytest.raises(Killed):
        post_lock()
    chain.kill_at = None
    assert only_intent()["state"] == left and balances.balance("tenant-a") == 0
    assert sweep() == {"intents": 0, "done": 0, "refunded": 0, "open": 0, "oldest_age_seconds": 0}  # leased still

    lease_passes()
    result = sweep()
    assert result["intents"] == 1 and result[ends.lower()] == 1 and result["oldest_age_seconds"] == 0
    intent = only_intent()
    assert intent["state"] == ends and "gsi3pk" not in intent
    assert sweep()["intents"] == 0  # finished once
    books().check()
    # the user's next lock: the adopted stack is theirs to reuse; a refunded purchase can be bought again
    balances.credit("tenant-a", PRICE)
    reply = post_lock()
    assert reply.status == 200, reply.body
    assert (reply.body["stack_entry_digest"] is None) == (ends == DONE)
    books().check()


@pytest.fixture
def emitted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The embedded-metric lines invocations flush (nodeplane.metrics), as CloudWatch reads them."""
    lines: list[str] = []
    monkeypatch.setattr(metrics, "sink", lines.append)
    metrics.discard()
    return lines


def oldest_ages(lines: list[str]) -> list[float]:
    """PurchaseIntentOldestAgeSeconds (namespace nodeplane), what the purchase-intent-age alarm reads."""
    ages = [d.values for line in lines for d in emf.parse(line) if d.name == "PurchaseIntentOldestAgeSeconds"]
    assert all(
        d.namespace == "nodeplane" and d.unit == "Seconds"
        for line in lines
        for d in emf.parse(line)
        if d.name == "PurchaseIntentOldestAgeSeconds"
    )
    lines.clear()
    return [v for values in ages for v in values]


def test_the_sweeper_waits_for_a_final_answer_and_reports_the_oldest_open_intent(aws_env, chain, emitted):
    seed_market()
    balances.credit("tenant-a", PRICE)
    chain.kill_at, chain.not_final = "before_submit", True
    with pytest.raises(Killed):
        post_lock()
    chain.kill_at = None
    lease_passes()
    emitted.clear()
    result = sweep()
    assert (result["intents"], result["open"]) == (1, 1)
    assert result["oldest_age_seconds"] == settings().purchase_lease_seconds + 1
    assert oldest_ages(emitted) == [settings().purchase_lease_seconds + 1]
    assert only_intent()["state"] == BUYING and balances.balance("tenant-a") == 0
    chain.not_final = False  # the chain knows now: that digest never executes
    assert sweep()["refunded"] == 1 and balances.balance("tenant-a") == PRICE
    assert oldest_ages(emitted) == [0]
    books().check()


# --- defence in depth -----------------------------------------------------------------------------------------------


def test_a_digest_belongs_to_one_intent(aws_env):
    store.transact([intents.claim_digest("Digest1", "intent-a")])
    store.transact([intents.claim_digest("Digest1", "intent-a")])  # the same intent again: a retry
    with pytest.raises(TransactionFailed):
        store.transact([intents.claim_digest("Digest1", "intent-b")])


def test_a_stack_adopted_by_one_purchase_is_never_adopted_by_another(aws_env, chain):
    seed_market()
    balances.credit("tenant-a", PRICE)
    balances.credit("tenant-b", PRICE)
    assert post_lock().status == 200
    adopted = only_intent()
    # tenant-b's purchase is told (wrongly) that it created tenant-a's stack: it must not take it
    order = intents.Order("tenant-b", 1, PRICE, 1_000_000, PRICE, "req-b", 1)
    saga.begin(order)
    forged = dict(chain.log[-1]["parsedJson"])
    store.transact([intents.to_buying("tenant-b", order.intent_id, "Forged", None)])
    with pytest.raises(saga.StackOwnedElsewhere):
        saga.adopt(order.intent() | {"intent_id": order.intent_id}, "Forged", forged, shape=None, extra=lambda s: [])
    stack = store.get(items.stack_pk(adopted["stack_small_id"]), "STACK")
    assert stack is not None and stack["user"] == "tenant-a"
    assert only_intent("tenant-b")["state"] == BUYING  # left open for the alarm, never Done
