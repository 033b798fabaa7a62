"""DynamoDB calls on nodeplane's table per settlement step and per lock, at the floor docs/performance.md states.

Settlement runs against the real local ledger (its own table is the chain's and is not counted), with nodeplane
holding both operators' keys; each count is taken once the container is warm (wallet records remembered, keys
seen), as every step after a container's first. Counts are exact: a change that adds a call fails here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from nodeplane import clock
from nodeplane.chain.keys import Keypair
from nodeplane.network import balances, chain_events, chain_impl, chainops, operators
from nodeplane.network.settlement import jobs, operator_api, tickets
from nodeplane.settings import settings
from nodeplane_local.harness.calls import TableCalls
from nodeplane_local.harness.fakes import FakeChain
from nodeplane_local.harness.lambda_events import Context, load_function, sqs_event
from nodeplane_local.harness.network import post_lock, rotate, seed_market, subscriber_at_cap

SAMPLING = 2  # the task's security level: every settlement samples the other subscriber to attest
CONFIDENTIAL = 1
SELLER_PRICE, ATTESTER_PRICE = 100, 200


@pytest.fixture
def market(aws_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[chainops.ChainOps]:
    """A sampling-consensus task on the local ledger with a seller and an attester whose keys nodeplane holds."""
    monkeypatch.setenv("LEDGER_CROSS_VALIDATION_PERMILLE", "1000")
    monkeypatch.setenv("SETTLEMENT_WINDOW_SECONDS", "60")
    settings.cache_clear()
    chain_impl.default_ops.cache_clear()
    chainops.use(None)
    ops = chainops.ops()
    chain_events.apply(ops.admin_call("create_task_entry", [0, "calls/model", SAMPLING, None, True]).events)
    for tenant, price in (("seller", SELLER_PRICE), ("attester", ATTESTER_PRICE)):
        address = operators.import_key(tenant, Keypair.generate().to_keystore())
        registered = ops.register_node(address)
        chain_events.apply(registered.events)
        node = int((registered.event("NodeRegisteredEvent") or {})["node_small_id"]["inner"])
        chain_events.apply(ops.operator_calls(address, [node], "subscribe_node_to_task", [1, price]).events)
    yield ops
    chainops.use(None)
    chain_impl.default_ops.cache_clear()


def buy(ops: chainops.ChainOps, n: int) -> list[int]:
    """n stacks of the task, all sold by the seller (the only subscriber at the price cap)."""
    stacks = []
    for _ in range(n):
        bought = ops.buy_stack(task_small_id=1, num_compute_units=1000, price_cap=SELLER_PRICE)
        chain_events.apply(bought.events)
        stacks.append(int((bought.event("StackCreatedEvent") or {})["stack_small_id"]["inner"]))
    return stacks


def work(*stacks: int) -> None:
    """One SQS batch of settlement jobs through the worker; every record must succeed."""
    worker = load_function("queue_settlement_worker")
    result = worker.lambda_handler(sqs_event([jobs.job(s, None) for s in stacks]), Context(aws_request_id="calls"))
    assert result["batchItemFailures"] == []


def status(stack: int) -> str:
    return str((tickets.ticket(stack) or {})["settlement_status"])


def epoch_turns(ops: chainops.ChainOps) -> None:
    """nodeplane's dispute window and the chain's epoch both pass."""
    clock.advance(61)
    ledger = getattr(ops, "ledger", None)
    assert ledger is not None
    ledger.advance_epoch()


def test_each_settlement_step_is_at_its_floor(market: chainops.ChainOps) -> None:
    warm, measured = buy(market, 2)
    calls = TableCalls()
    operator_api.claim_stacks("seller", [warm], None, None)  # the first step of a container reads its wallets
    work(warm)

    # try-settle: who is calling, the stack; the guard with the call's leases; the ticket opened with the release
    assert calls.during(lambda: operator_api.claim_stacks("seller", [measured], None, None)) == [
        "GetItem",
        "GetItem",
        "TransactWriteItems",
        "TransactWriteItems",
    ]
    assert status(measured) == tickets.ATTESTING
    # attest: the batch's tickets and stacks; the guard with the leases; the attestation and Settled with the release
    assert calls.during(lambda: work(measured)) == ["BatchGetItem", "TransactWriteItems", "TransactWriteItems"]
    assert status(measured) == tickets.SETTLED

    epoch_turns(market)
    work(warm)
    # claim and complete: the same three; the ticket Complete, the stack claimed and the refund credited in the last
    assert calls.during(lambda: work(measured)) == ["BatchGetItem", "TransactWriteItems", "TransactWriteItems"]
    assert status(measured) == tickets.COMPLETE
    ticket = tickets.ticket(measured) or {}
    assert ticket["is_claimed"] is True and ticket["claim_tx"]


def test_claims_of_one_node_in_one_batch_are_one_transaction(market: chainops.ChainOps) -> None:
    stacks = buy(market, 4)
    for stack in stacks:
        operator_api.claim_stacks("seller", [stack], None, None)
    work(*stacks)  # attest all four
    assert {status(s) for s in stacks} == {tickets.SETTLED}
    epoch_turns(market)
    claims: Counter[str] = Counter()
    calls = TableCalls()
    made = calls.during(lambda: work(*stacks))
    for event in market.events_since(None, 1000)[0]:
        if str(event["type"]).endswith("StackSettlementTicketClaimedEvent"):
            claims[event["id"]["txDigest"]] += 1
    assert list(claims.values()) == [4]  # one claim_funds for the four tickets
    assert made == ["BatchGetItem", "TransactWriteItems", "TransactWriteItems"]  # for the whole batch
    assert {status(s) for s in stacks} == {tickets.COMPLETE}


def test_a_confidential_claim_opens_its_ticket_then_claims_at_the_floor(market: chainops.ChainOps) -> None:
    created = market.admin_call("create_task_entry", [0, "calls/confidential", CONFIDENTIAL, None, True])
    chain_events.apply(created.events)
    task = int((created.event("TaskRegisteredEvent") or {})["task_small_id"]["inner"])
    seller = operators.operator_address("seller") or ""
    node = operators.operator_node_ids(seller)[0]
    chain_events.apply(market.operator_calls(seller, [node], "subscribe_node_to_task", [task, SELLER_PRICE]).events)
    stacks = []
    for _ in range(2):
        bought = market.buy_stack(task_small_id=task, num_compute_units=1000, price_cap=SELLER_PRICE)
        chain_events.apply(bought.events)
        stacks.append(int((bought.event("StackCreatedEvent") or {})["stack_small_id"]["inner"]))
    warm, measured = stacks
    operator_api.claim_stacks("seller", [warm], None, None)
    made = TableCalls().during(lambda: operator_api.claim_stacks("seller", [measured], None, None))
    # open: who is calling, the stack, the ticket with the stack's claim lock; claim: lease + guard, release + Complete
    assert made == ["GetItem", "GetItem", "TransactWriteItems", "TransactWriteItems", "TransactWriteItems"]
    assert status(measured) == tickets.COMPLETE


# --- locks ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def fake_chain() -> Iterator[FakeChain]:
    fake = FakeChain(first_stack=1000, select=subscriber_at_cap)
    chainops.use(fake)
    yield fake
    chainops.use(None)


def test_a_lock_on_an_existing_stack_is_three_calls(aws_env: dict[str, Any], fake_chain: FakeChain) -> None:
    seed_market()
    balances.credit("tenant-a", 1_000)
    assert post_lock(max_num_tokens=10).status == 200  # buys the stack
    calls = TableCalls()
    replies = []
    made = calls.during(lambda: replies.append(post_lock(max_num_tokens=10)))
    assert replies[0].status == 200 and replies[0].body["stack_entry_digest"] is None
    # the caller's stacks of the model's task; the candidate nodes with the key rotation; the reservation
    assert made == ["Query", "BatchGetItem", "UpdateItem"]


def test_a_cached_rotation_never_answers_a_key_of_the_previous_one(
    aws_env: dict[str, Any], fake_chain: FakeChain
) -> None:
    seed_market()
    balances.credit("tenant-a", 1_000)
    first = post_lock(max_num_tokens=10)
    assert first.status == 200
    assert post_lock(max_num_tokens=10).status == 200  # the container now keeps rotation 1
    rotate(2)  # every node's key is at rotation 1: none is valid any more
    again = post_lock(max_num_tokens=10)
    assert again.status != 200 or again.body["public_key"] != first.body["public_key"]
    assert len(fake_chain.purchases) == 1  # no node has a valid key to buy from either
