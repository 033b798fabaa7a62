"""Claims are bounded by what was used, and the unused units they refund reach the user's balance once.

On moto and on DynamoDB Local, with the fake chain (nodeplane_local/harness/fakes.py) buying stacks and paying claims by
the contract's fee formula. The books (tests/support/money.py) are checked after each claim.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from nodeplane import clock, store
from nodeplane.chain.keys import Keypair
from nodeplane.network import balances, chain_events, chainops, items, usage
from nodeplane.network.locks import plan, reserve
from nodeplane.settings import settings
from nodeplane_local.harness.fakes import FakeChain
from nodeplane_local.harness.lambda_events import http_event, invoke
from nodeplane_local.harness.network import (
    add_node,
    add_task,
    chain_event,
    hold_operator_key,
    inner,
    post_lock,
    register_operator,
    rotate,
    subscriber_at_cap,
    user_stack,
)
from tests.support.money import Books, scan

PRICE = 100  # per one million units: a stack costs 100, and (1,000,000 - used) * 100 / 1,000,000 comes back
NODE, OPERATOR, USER = 2, "operator", "tenant-a"


@pytest.fixture
def market(aws_env: dict[str, Any]) -> Iterator[tuple[FakeChain, Keypair]]:
    key = Keypair.generate("ed25519")
    chain = FakeChain(first_stack=1000, select=subscriber_at_cap, nodes={NODE: key.address}, tasks={1: 1})
    chainops.use(chain)
    rotate(1)
    add_task(1)
    add_node(NODE, price=PRICE, sender=key.address)
    register_operator(OPERATOR, key.address)
    hold_operator_key(key.address)
    yield chain, key
    chainops.use(None)


def books() -> Books:
    return Books.read(scan(store.dynamodb(), settings().table_name))


def report(key: Keypair, stack: int, units: int, lock_id: str | None) -> Any:
    request_id = uuid.uuid4().hex
    digest = usage.usage_digest(stack, NODE, units, lock_id, request_id)
    data: dict[str, Any] = {"stack_small_id": stack, "node_small_id": NODE, "num_compute_units": units}
    if lock_id:
        data["lock_id"] = lock_id
    data["request_id"] = request_id
    body = {"data": data, "signature": key.sign_hashed(digest)}
    return invoke("proxy_usage_report", http_event("POST", "/proxy/v1/stacks/usage", body=body, tenant=None))


def claim(stack: int, units: int | None = None) -> Any:
    body: dict[str, Any] = {"stack_small_ids": [stack]}
    if units is not None:
        body["num_claimed_compute_units"] = [units]
    return invoke("daemon_claim_stacks", http_event("POST", "/daemon/claim_stacks", body=body, tenant=OPERATOR))


def test_a_claim_is_bounded_by_usage_and_its_refund_reaches_the_user_once(market):
    chain, key = market
    balances.credit(USER, PRICE)
    first = post_lock()
    assert first.status == 200, first.body
    stack = first.body["stack_small_id"]
    assert report(key, stack, 2011, first.headers["X-Lock-Id"]).status == 200
    live = post_lock(max_num_tokens=600_000)
    assert live.status == 200 and live.body["stack_small_id"] == stack

    # a still-locked stack has nothing claimable, whatever was used
    locked = claim(stack, 1_000_000)
    assert locked.status == 409 and set(locked.body) == {"error"}
    assert f"stack {stack}: 0 compute units are claimable" in locked.body["error"] and "600000" in locked.body["error"]
    assert claim(stack).status == 409  # the default claim (what was used) waits for the lock too
    # once the lock has expired (released by the claim itself), what signed usage reports recorded is claimable
    clock.advance(plan.DEFAULT_TIMEOUT_SECONDS + 1)
    over = claim(stack, 1_000_000)
    assert over.status == 409 and f"stack {stack}: 2011 compute units are claimable" in over.body["error"]
    assert claim(stack, 2012).status == 409 and chain.payments == []
    item = store.get(items.stack_pk(stack), "STACK")
    assert item is not None and item["locks"] == {} and item["locked_compute_units"] == 0

    assert claim(stack, 2011).status == 200
    assert chain.payments == [("claim_funds_for_stacks", stack, 2011)]
    refund = (1_000_000 - 2011) * PRICE // 1_000_000
    assert balances.account(USER) == {"balance": refund, "credited": PRICE, "refunded": refund}
    books().check()

    # the events again, from the poller (which had not seen the purchase's yet) or replayed by hand: no new credit
    chain_events.poll(chain)
    assert chain_events.apply(chain.log) == 0
    assert balances.account(USER) == {"balance": refund, "credited": PRICE, "refunded": refund}
    books().check()


def test_no_lock_can_be_taken_on_a_stack_being_claimed(market):
    _chain, key = market
    balances.credit(USER, PRICE)
    first = post_lock()
    stack = first.body["stack_small_id"]
    report(key, stack, 500, first.headers["X-Lock-Id"])
    assert claim(stack).status == 200
    # the claim marked the stack in the ticket's transaction: the next lock buys a new stack instead
    balances.credit(USER, PRICE)
    again = post_lock()
    assert again.status == 200 and again.body["stack_small_id"] != stack
    assert reserve.release(stack, first.headers["X-Lock-Id"]) == 0
    books().check()


def test_a_sampling_settlements_refund_is_credited_once(aws_env):
    item = user_stack(77, units=1_000_000, node=NODE, price=PRICE, user=USER)
    ticket = {"pk": items.stack_pk(77), "sk": "TICKET", "stack_small_id": 77, "settlement_status": "Settled"}
    store.transact([store.put(item), store.put(ticket)])
    balances.credit(USER, PRICE)
    data = {
        "stack_small_id": inner(77),
        "selected_node_id": inner(NODE),
        "attestation_nodes": [],
        "num_claimed_compute_units": "400000",
        "user_refund_amount": "60",
    }
    event = chain_event("StackSettlementTicketClaimedEvent", data)
    assert chain_events.apply([event]) == 1
    assert chain_events.apply([event]) == 0
    assert balances.account(USER) == {"balance": PRICE + 60, "credited": PRICE, "refunded": 60}
    # the same refund carried by a second event (never expected) is not credited twice either
    assert chain_events.apply([chain_event("StackSettlementTicketClaimedEvent", data)]) == 1
    assert balances.account(USER)["refunded"] == 60
    stack = store.get(items.stack_pk(77), "STACK")
    assert stack is not None and stack["user_refund_credited"] == 60
