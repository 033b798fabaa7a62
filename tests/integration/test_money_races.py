"""Many purchases at once on DynamoDB Local with the real local ledger (nodeplane's own purchasing wallet, real
signed transactions): each user pays for exactly the stack it gets, and the books add up for every user.

What broke before the purchase saga: two users buying at the same moment got byte-identical transactions (same
wallet, same coin versions, same task and price), the ledger answered the second with the first's result, and the
second user was charged for a stack it never got. Each purchase now names its intent in its transaction.
"""

from __future__ import annotations

import base64
import random
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from nodeplane import store
from nodeplane.chain.keys import Keypair
from nodeplane.network import balances, chain_events, chain_impl, chainops, coin_pool, daemon, operators
from nodeplane.network.purchases.intents import DONE
from nodeplane.settings import settings
from nodeplane_local.harness.network import post_lock
from tests.support.money import Books, scan

pytestmark = [pytest.mark.dynamodb_local, pytest.mark.parametrize("aws_env", ["dynamodb_local"], indirect=True)]

MODEL = "races/llama"
PRICE = 100  # one stack costs 100 USDC base units
RACES = 20
BURST_USERS, BURST_LOCKS = 40, 200


@pytest.fixture
def ledger(aws_env: dict[str, Any]) -> Iterator[Any]:
    """The local ledger as deployed without a Sui RPC, with one operator's node selling the confidential task."""
    chain_impl.default_ops.cache_clear()
    chainops.use(None)
    ops = chainops.ops()
    task = ops.admin_call("create_task_entry", [0, MODEL, 1, None, True])
    chain_events.apply(task.events)
    chain_events.apply(ops.admin_call("new_network_key_rotation", []).events)
    operators.import_key("operator", Keypair.generate("ed25519").to_keystore())
    node = daemon.register_node("operator")["node_small_id"]
    daemon.publish_public_key("operator", node, base64.b64encode(bytes(range(32))).decode(), 0)
    daemon.subscribe("operator", 1, PRICE, node, update=False)
    coin_pool.maintain(ops, "purchaser")  # what the coin-pool schedule keeps: a coin per purchase in flight
    yield ops
    chainops.use(None)
    chain_impl.default_ops.cache_clear()


def books() -> Books:
    return Books.read(scan(store.dynamodb(), settings().table_name))


def created(ledger: Any) -> list[dict[str, Any]]:
    events, cursor = [], None
    while True:
        page, cursor = ledger.events_since(cursor, 200)
        events += page
        if not page:
            return [e for e in events if e["type"].endswith("::StackCreatedEvent")]


def test_twenty_two_user_races_each_user_buys_its_own_stack(ledger):
    replies: dict[str, Any] = {}
    with ThreadPoolExecutor(2) as pool:
        for race in range(RACES):
            users = [f"race{race}-a", f"race{race}-b"]
            for user in users:
                balances.credit(user, PRICE)  # exactly one stack each
            start = threading.Barrier(2)

            def lock(user: str, start: threading.Barrier = start) -> Any:
                start.wait()  # both requests leave together
                return post_lock(user, model=MODEL)

            replies |= dict(zip(users, pool.map(lock, users), strict=True))
    assert {u: r.status for u, r in replies.items() if r.status != 200} == {}
    stacks = {u: r.body["stack_small_id"] for u, r in replies.items()}
    assert len(set(stacks.values())) == 2 * RACES  # each user its own stack
    digests = {r.body["stack_entry_digest"] for r in replies.values()}
    assert len(digests) == 2 * RACES  # two purchases, two transactions
    assert len(created(ledger)) == 2 * RACES  # and the chain made exactly those stacks
    accounts = {u: balances.account(u) for u in replies}
    assert all(a == {"balance": 0, "credited": PRICE, "refunded": 0} for a in accounts.values())
    ledger_stacks = {int(e["parsedJson"]["stack_small_id"]["inner"]) for e in created(ledger)}
    assert ledger_stacks == set(stacks.values())
    book = books()
    book.check()
    assert {str(s["user"]): int(s["stack_small_id"]) for s in book.stacks} == stacks


def test_a_200_lock_burst_with_balances_for_some_users(ledger):
    users = [f"burst-{i:02d}" for i in range(BURST_USERS)]
    funded = set(users[::2])
    for user in funded:
        balances.credit(user, PRICE)
    requests = [u for u in users for _ in range(BURST_LOCKS // BURST_USERS)]
    random.Random(17).shuffle(requests)
    with ThreadPoolExecutor(50) as pool:
        replies = list(pool.map(lambda u: (u, post_lock(u, model=MODEL, max_num_tokens=8192)), requests))
    statuses = Counter(r.status for _, r in replies)
    assert set(statuses) <= {200, 402, 429, 503}, statuses  # never a 500
    granted: dict[str, set[int]] = {}
    for user, reply in replies:
        if reply.status == 200:
            granted.setdefault(user, set()).add(reply.body["stack_small_id"])
    assert set(granted) <= funded  # no balance, no lock
    assert all(len(s) == 1 for s in granted.values())  # one stack per user: the guard made the others reuse it
    book = books()
    book.check()  # 0 charged without a stack, 0 overcommitted units, credited = balance + charged - refunded
    owners = {str(s["user"]): int(s["stack_small_id"]) for s in book.stacks}
    assert {u: {s} for u, s in owners.items() if u in granted} == granted
    done = [i for i in book.intents if i["state"] == DONE]
    assert len(done) == len(owners) == len(created(ledger))
    assert done, book.states()
    # a funded user left without a stack (its purchase found no free coin in time and was refunded) has it all back
    assert all(balances.balance(u) == PRICE for u in funded - set(owners))
