"""The local runtime killed with SIGKILL in the middle of purchase bursts, restarted on the same data: after the
purchase sweeper's bound every purchase intent is Done or Refunded and the books add up for every user.

Each round sends a burst of lock requests (one first purchase per user, on the real local ledger) and kills the
runtime once purchases are in flight, after a seeded random delay; the intents the kill left open are the kill
points, named by the saga step they were cut at:

| step                     | the intent after the kill         | the sweeper                                 |
|--------------------------|-----------------------------------|---------------------------------------------|
| debited                  | Debited, no digest                | refunds                                     |
| signed, not submitted    | Buying, the ledger never saw it   | refunds (the digest can never execute)      |
| bought, not adopted      | Buying, the ledger executed it    | adopts the stack for the user (Done)        |

The runtime runs with short leases (``PURCHASE_LEASE_SECONDS=3``, and ``WALLET_LEASE_SECONDS=2`` for the coins a
transaction is built from, after which the chain's answer about a lost digest is final) and its schedules slowed
down, so no sweep happens on its own while a burst is in flight; after each restart (which outlasts both leases)
the test fires the sweeper itself (``POST /local/schedules/...``) instead of waiting out the bound (lease + one
sweeper period: network/purchases/__init__.py).
"""

from __future__ import annotations

import base64
import contextlib
import json
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from nodeplane.chain.keys import Keypair
from nodeplane.chain.ledger import LocalLedger
from nodeplane.network import items
from nodeplane.network.purchases.intents import BUYING, DEBITED, DONE, REFUNDED
from nodeplane.store.attributes import deserialize
from tests.support.money import Books, scan
from tests.support.runtime import LocalRuntime

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("purchase_crashes")]

MODEL = "crash/confidential"
PRICE = 1000
USERS_PER_ROUND = 14
IN_FLIGHT = 10  # the runtime's listen backlog is small: the burst keeps below it
MIN_KILL_POINTS = 20
MIN_KILLS = 4  # a round aimed at each step, and one more at the shortest (bought, not yet adopted)
MAX_ROUNDS = 10
STEPS = ("debited", "signed, not submitted", "bought, not adopted")


def admin(rt: LocalRuntime, *args: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "nodeplane_local", "admin", "--data-dir", str(rt.data_dir), *args],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def call(rt: LocalRuntime, tenant: str, path: str, body: Any = None, timeout: float = 60) -> httpx.Response:
    headers = {"Authorization": f"Bearer {rt.token(tenant)}"}
    return httpx.post(f"{rt.base_url}{path}", json=body, headers=headers, timeout=timeout)


def market(rt: LocalRuntime) -> None:
    """One confidential task, sold by one node whose X25519 key is published at the current rotation."""
    admin(rt, "create-task", "--model", MODEL, "--security-level", "1")
    admin(rt, "rotate-keys")
    key = Keypair.generate("ed25519")
    assert call(rt, "operator", "/daemon/keys", {"keystore": key.to_keystore()}).status_code == 201
    node = call(rt, "operator", "/daemon/nodes/register").json()["node_small_id"]
    public_key = base64.b64encode(bytes(range(32))).decode()
    assert call(rt, "operator", f"/daemon/nodes/{node}/public_key", {"public_key": public_key}).status_code == 200
    subscribed = call(
        rt, "operator", "/daemon/task_subscribe", {"task_small_id": 1, "price_per_one_million_compute_units": PRICE}
    )
    assert subscribed.status_code == 200, subscribed.text


def table(rt: LocalRuntime) -> str:
    return str(rt.info()["env"]["TABLE_NAME"])


def credit(rt: LocalRuntime, users: list[str]) -> None:
    """What `nodeplane-local admin credit` writes, for many users at once (one process start instead of many)."""
    ddb = rt.client("dynamodb")
    for user in users:
        ddb.update_item(
            TableName=table(rt),
            Key={"pk": {"S": items.balance_pk(user)}, "sk": {"S": items.BALANCE_SK}},
            UpdateExpression="ADD balance :a, credited :a SET entity = :e",
            ExpressionAttributeValues={":a": {"N": str(PRICE)}, ":e": {"S": "balance"}},
        )


def open_intents(rt: LocalRuntime) -> list[dict[str, Any]]:
    rows = rt.client("dynamodb").query(
        TableName=table(rt),
        IndexName="gsi3",
        KeyConditionExpression="gsi3pk = :p",
        ExpressionAttributeValues={":p": {"S": items.PURCHASES}},
    )
    return [deserialize(i) for i in rows["Items"]]


class Ledger:
    """The runtime's local ledger, read directly: which digests executed, and stacks created since a cursor."""

    def __init__(self, rt: LocalRuntime) -> None:
        self.ledger = LocalLedger(rt.client("dynamodb"), rt.info()["env"]["LEDGER_TABLE_NAME"], admin_address="0x0")
        self.cursor: str | None = None
        self.new_stacks()

    def executed(self, digest: str) -> bool:
        return self.ledger.transaction(digest) is not None

    def new_stacks(self) -> int:
        found = 0
        while True:
            page = self.ledger.events_after(self.cursor, 100)
            if not page:
                return found
            self.cursor = page[-1][0]
            found += sum(1 for _, e in page if e["type"].endswith("::StackCreatedEvent"))


def trigger(rt: LocalRuntime, target: str) -> Callable[[], bool]:
    """When to kill, for a round aimed at one step (the kill still cuts every purchase in flight where it is)."""
    if target == STEPS[2]:
        ledger = Ledger(rt)
        return lambda: ledger.new_stacks() > 0  # a purchase just executed on chain: its adoption is under way
    if target == STEPS[1]:
        return lambda: any(i["state"] == BUYING for i in open_intents(rt))
    return lambda: len(open_intents(rt)) >= 2


def burst_and_kill(rt: LocalRuntime, users: list[str], target: str, rng: random.Random) -> None:
    """Send one lock request per user; SIGKILL the runtime once the round's trigger fires, a random moment later."""
    assert rt.process is not None
    stop = threading.Event()
    fire = trigger(rt, target)

    def lock(user: str) -> None:
        if stop.is_set():
            return
        with contextlib.suppress(httpx.HTTPError):  # the runtime died under it
            call(rt, user, "/proxy/v1/nodes/lock", {"model": MODEL}, timeout=30)

    with ThreadPoolExecutor(IN_FLIGHT) as pool:
        for user in users:
            pool.submit(lock, user)
        for _ in range(2000):  # bounded: a few seconds of watching at most
            if fire():
                break
        time.sleep(rng.uniform(0.0, 0.01 if target != STEPS[0] else 0.2))
        rt.process.kill()  # SIGKILL: no handler, no cleanup, the JVM follows (PR_SET_PDEATHSIG)
        rt.process.wait()
        stop.set()
    rt.process = None


def wait_port_closed(url: str) -> None:
    """The killed runtime's DynamoDB Local has let go of the data folder before the next one opens it."""
    for _ in range(200):
        try:
            httpx.get(url, timeout=0.2)
        except httpx.HTTPError:
            return
        time.sleep(0.05)


def kill_points(rt: LocalRuntime) -> list[str]:
    """The step each open intent was cut at, asking the ledger whether its recorded digest executed."""
    ledger = Ledger(rt)
    books = Books.read(scan(rt.client("dynamodb"), table(rt)))
    steps = []
    for intent in books.open_intents():
        if intent["state"] == DEBITED:
            steps.append(STEPS[0])
        else:
            assert intent["state"] == BUYING
            steps.append(STEPS[2] if ledger.executed(str(intent["digest"])) else STEPS[1])
    return steps


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "runtime"


def test_killed_purchases_end_done_or_refunded_and_the_books_add_up(data_dir: Path) -> None:
    env = {"PURCHASE_LEASE_SECONDS": "3", "WALLET_LEASE_SECONDS": "2"}
    rt = LocalRuntime(data_dir=data_dir, extra_env=env, schedule_speedup=0.001).start()
    rng = random.Random(20261130)
    hits: Counter[str] = Counter()
    endings: Counter[str] = Counter()
    rounds = 0
    try:
        market(rt)
        while rounds < MIN_KILLS or (
            rounds < MAX_ROUNDS and (sum(hits.values()) < MIN_KILL_POINTS or len(hits) < len(STEPS))
        ):
            users = [f"crash-{rounds:02d}-{i:02d}" for i in range(USERS_PER_ROUND)]
            credit(rt, users)
            ddb_url = rt.info()["dynamodb_endpoint"]
            burst_and_kill(rt, users, STEPS[::-1][rounds % len(STEPS)], rng)
            rounds += 1
            wait_port_closed(ddb_url)
            rt.start()  # the same data folder: tables, ledger and sealed wallet keys survive
            points = kill_points(rt)
            hits.update(points)

            fired = httpx.post(f"{rt.base_url}/local/schedules/PurchaseSweeperFunction", timeout=120)
            assert fired.status_code == 200, fired.text
            result = fired.json()["result"]
            assert result["open"] == 0 and result["intents"] == len(points), (result, points)
            endings.update({"done": result["done"], "refunded": result["refunded"]})

            books = Books.read(scan(rt.client("dynamodb"), table(rt)))
            assert set(books.states()) <= {DONE, REFUNDED}, books.states()
            books.check()  # every user: credited = balance + charged - refunded; no stack without its intent
        print(f"\n{rounds} kills, {sum(hits.values())} kill points by step: {dict(hits)}; sweeper: {dict(endings)}")
        assert sum(hits.values()) >= MIN_KILL_POINTS and set(hits) == set(STEPS), dict(hits)
        assert endings["done"] >= 1 and endings["refunded"] >= 1
        # after the kills the runtime still sells: a new user's first lock buys a stack
        credit(rt, ["after-the-kills"])
        assert call(rt, "after-the-kills", "/proxy/v1/nodes/lock", {"model": MODEL}).status_code == 200
        Books.read(scan(rt.client("dynamodb"), table(rt))).check()
    finally:
        rt.cleanup()
