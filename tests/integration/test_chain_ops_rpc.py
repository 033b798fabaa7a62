"""nodeplane's chain operations over a Sui GraphQL RPC (the stand-in, over HTTP, DynamoDB Local everywhere):
concurrent purchases never share an owned object version, the pool of coins is split and merged, the caller's
gas fields are honoured, and an unreachable, slow or silent network costs nobody anything."""

from __future__ import annotations

import base64
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from nodeplane import clock, store
from nodeplane.chain.contract import SUI_COIN_TYPE, coin_type
from nodeplane.chain.keys import Keypair
from nodeplane.errors import BadRequest, ChainUnavailable
from nodeplane.network import balances, chain_events, chainops, coin_pool, daemon, items, operators, owned
from nodeplane.network.chainops import GasOptions
from nodeplane.network.locks import proxy_api
from nodeplane.settings import settings
from nodeplane_local.engines import free_port
from nodeplane_local.harness.lambda_events import Context, container, http_event, invoke, schedule_event
from nodeplane_local.harness.network import post_lock
from nodeplane_local.harness.sui_rpc import RpcChain, fresh_ops
from nodeplane_local.sui_rpc.resolvers import Root
from nodeplane_local.sui_rpc.server import SuiGraphQLServer
from tests.support.sui_rpc import Recorder

pytestmark = [pytest.mark.dynamodb_local, pytest.mark.parametrize("aws_env", ["dynamodb_local"], indirect=True)]

MODEL = "rpc/confidential"
PRICE = 100
COST = PRICE  # a stack of 1,000,000 units at PRICE per million, confidential (no sampling surcharge)
PURCHASES = 50


def market(price: int = PRICE) -> tuple[int, int, str]:
    """A confidential task, a key rotation and one operator's node subscribed at ``price``, all on chain."""
    ops = chainops.ops()
    task = ops.admin_call("create_task_entry", [0, MODEL, 1, None, True])
    assert task.ok, task.error
    chain_events.apply(task.events)
    rotation = ops.admin_call("new_network_key_rotation", [])
    assert rotation.ok, rotation.error
    chain_events.apply(rotation.events)
    task_id = int((task.event("TaskRegisteredEvent") or {})["task_small_id"]["inner"])
    operator = Keypair.generate("ed25519")
    address = operators.import_key("op", operator.to_keystore())
    node = daemon.register_node("op")["node_small_id"]
    daemon.publish_public_key("op", node, base64.b64encode(bytes(range(32))).decode(), 0)
    daemon.subscribe("op", task_id, price, node, update=False)
    return task_id, node, address


def usdc(chain: RpcChain, address: str) -> int:
    return sum(c.balance or 0 for c in chain_usdc(chain, address))


def chain_usdc(chain: RpcChain, address: str) -> list[Any]:
    from nodeplane.chain.ledger_access import LedgerChainAccess

    return LedgerChainAccess(chain.ledger).owned_objects(address, coin_type(chain.info["usdc_type"]))


def all_events(ops: Any) -> list[dict[str, Any]]:
    out, cursor = [], None
    while True:
        page, cursor = ops.events_since(cursor, 50)
        if not page:
            return out
        out += page


def count_dynamodb_calls() -> list[str]:
    """Every DynamoDB call nodeplane's own client makes from now on (the ledger's client is another one)."""
    calls: list[str] = []
    store.dynamodb().meta.events.register("before-call.dynamodb", lambda model, **_: calls.append(model.name))
    return calls


def test_fifty_concurrent_purchases_never_share_an_owned_object_version(rpc_chain: RpcChain) -> None:
    market()
    ops = chainops.ops()
    purchaser = ops.wallet("purchaser").address
    report = coin_pool.maintain(ops, "purchaser", size=20)  # funded by the stand-in's faucet, then split
    assert (report["split_gas"], report["split_usdc"]) == (19, 19)
    spent_before = usdc(rpc_chain, purchaser)
    recorder = Recorder()
    recorder.wrap(ops.chain)
    users = [f"user-{i}" for i in range(PURCHASES)]
    for user in users:
        balances.credit(user, 3 * COST)

    # the lock itself, concurrently in one process: Powertools keeps a resolver's current event on its class, so
    # concurrent handler invocations in one process could read each other's caller (one request per Lambda)
    with ThreadPoolExecutor(max_workers=PURCHASES) as pool:
        grants = list(pool.map(lambda u: proxy_api.lock(u, MODEL), users))

    assert recorder.reused() == {} and recorder.rejected == []  # no owned object version used twice
    assert len(recorder.executions) == PURCHASES and set(recorder.executions.values()) == {1}
    for user, grant in zip(users, grants, strict=True):
        assert grant.stack_entry_digest in recorder.executions
        stack = store.get(items.stack_pk(grant.stack_small_id), "STACK")
        assert stack is not None and stack["user"] == user and stack["num_compute_units"] == 1_000_000
        assert balances.balance(user) == 3 * COST - COST  # charged exactly the stack it got
    created = [e for e in all_events(ops) if e["type"].endswith("::StackCreatedEvent")]
    assert len(created) == PURCHASES and {e["parsedJson"]["owner"] for e in created} == {purchaser}
    assert {e["parsedJson"]["price_per_one_million_compute_units"] for e in created} == {str(PRICE)}
    assert spent_before - usdc(rpc_chain, purchaser) == PURCHASES * COST  # the chain took each stack's cost once
    leased = [r for r in owned.read(purchaser).records if r.lease_until or r.pending]
    assert leased == []  # every lease was given back, at the version the effects reported
    chain_events.poll(ops)  # the poller reads the same events through the port, from its stored cursor
    assert chain_events.poll(ops) == {"seen": 0, "applied": 0}


def test_a_purchase_costs_two_dynamodb_calls(rpc_chain: RpcChain) -> None:
    task, _, _ = market()
    ops = chainops.ops()
    coin_pool.maintain(ops, "purchaser", size=4)
    ops.buy_stack(task_small_id=task, num_compute_units=1_000_000, price_cap=PRICE)  # the wallet's key is opened
    calls = count_dynamodb_calls()
    bought = ops.buy_stack(task_small_id=task, num_compute_units=1_000_000, price_cap=PRICE)
    assert bought.ok
    # lease a gas and a payment coin (and name the transaction); release them. The wallet's records are not read:
    # the container remembers them from its last release, and the lease's conditions check their versions
    assert calls == ["TransactWriteItems", "TransactWriteItems"], calls
    owned.remember(ops.wallet("purchaser").address, None)  # a container that never used the wallet reads it first
    calls.clear()
    assert ops.buy_stack(task_small_id=task, num_compute_units=1_000_000, price_cap=PRICE).ok
    assert calls == ["Query", "TransactWriteItems", "TransactWriteItems"], calls


def test_coin_pool_merges_dust_and_splits_to_size(rpc_chain: RpcChain) -> None:
    ops = chainops.ops()
    admin = ops.wallet("admin").address
    rpc_chain.ledger.faucet(admin, sui=10**12)
    for _ in range(3):
        rpc_chain.ledger.faucet(admin, sui=1000)  # too small to pay any transaction's budget
    report = coin_pool.maintain(ops, "admin", size=5, gas_mist=10**9)
    assert report["recorded"] == 4 and report["merged"] == 3 and report["split_gas"] == 4
    from nodeplane.chain.ledger_access import LedgerChainAccess

    coins = LedgerChainAccess(rpc_chain.ledger).owned_objects(admin, SUI_COIN_TYPE)
    assert sorted(c.balance or 0 for c in coins)[:4] == [10**9] * 4 and len(coins) == 5
    records = {r.object_id: r for r in owned.read(admin).of(owned.GAS)}
    assert {c.object_id: (c.ref, c.balance) for c in coins} == {i: (r.ref, r.balance) for i, r in records.items()}
    assert coin_pool.maintain(ops, "admin", size=5, gas_mist=10**9)["split_gas"] == 0  # fit already


def test_the_coin_pool_schedule_keeps_nodeplanes_wallets(rpc_chain: RpcChain) -> None:
    with container("schedule_coin_pool") as module:
        result = module.lambda_handler(schedule_event(), Context())
    assert set(result) == {"purchaser", "admin"}
    assert result["purchaser"]["split_gas"] == result["purchaser"]["split_usdc"] == 19  # COIN_POOL_SIZE 20
    with container("schedule_coin_pool") as module:
        again = module.lambda_handler(schedule_event(), Context())
    assert again["purchaser"]["split_gas"] == again["admin"]["split_gas"] == 0


def test_the_callers_gas_fields_are_honoured(rpc_chain: RpcChain) -> None:
    task, node, address = market()
    ops = chainops.ops()
    recorder = Recorder()
    recorder.wrap(ops.chain)

    def update(price: int, gas: GasOptions) -> Any:
        return ops.operator_calls(address, [node], "update_node_subscription", [task, price], gas)

    with pytest.raises(BadRequest, match="budget"):
        update(120, GasOptions(budget=500_000))  # the dry run needs 1,000,000 MIST
    with pytest.raises(BadRequest, match="price"):
        update(120, GasOptions(price=999))  # under the reference gas price
    with pytest.raises(BadRequest, match="not a SUI coin"):
        update(120, GasOptions(coin="0x" + "77" * 32))
    assert recorder.executions == {}  # nothing was sent
    rpc_chain.ledger.faucet(address, sui=10**10)
    coins = sorted(chain_coins(rpc_chain, address), key=lambda c: c.balance or 0)
    result = update(130, GasOptions(coin=coins[0].object_id, budget=2_000_000, price=1500))
    assert result.ok
    (digest,) = recorder.executions
    tx = rpc_chain.ledger.transaction(digest)
    assert tx is not None and tx.gas_used == 1500 * 1000  # its price, on the coin it named
    sent = [k for k in recorder.versions if k[0] == coins[0].object_id]
    assert sent == [(coins[0].object_id, coins[0].ref.version)]


def chain_coins(chain: RpcChain, address: str) -> list[Any]:
    from nodeplane.chain.ledger_access import LedgerChainAccess

    return LedgerChainAccess(chain.ledger).owned_objects(address, SUI_COIN_TYPE)


# ---------------------------------------------------------------- failures


def _serve(chain: RpcChain, root: type[Root], monkeypatch: pytest.MonkeyPatch) -> SuiGraphQLServer:
    """Point every function at another server over the same ledger (a misbehaving one)."""
    from nodeplane_local.sui_rpc.resolvers import Backend

    server = SuiGraphQLServer(chain.ledger, root=root(Backend(chain.ledger))).start()
    monkeypatch.setenv("SUI_RPC_URL", server.url)
    monkeypatch.setenv("SUI_RPC_READ_TIMEOUT", "1")
    fresh_ops()
    return server


class _Silent(Root):
    """Holds an execution's answer past the client's read timeout: ``executes`` says whether it applies it."""

    executes = True

    def executeTransaction(self, info: Any, **arguments: Any) -> Any:
        result = super().executeTransaction(info, **arguments) if self.executes else None
        time.sleep(1.5)  # past the client's read timeout (1 s)
        return result


class _NeverExecutes(_Silent):
    executes = False


def test_an_unreachable_network_is_the_seeds_500_and_charges_nothing(
    rpc_chain: RpcChain, monkeypatch: pytest.MonkeyPatch
) -> None:
    task, node, _ = market()
    balances.credit("client", 5 * COST)
    monkeypatch.setenv("SUI_RPC_URL", f"http://127.0.0.1:{free_port()}/graphql")
    fresh_ops()
    reply = post_lock("client", model=MODEL)
    # seed 000, create_lock: "`INTERNAL_SERVER_ERROR` - Communication errors or missing node public keys"
    assert reply.status == 500 and reply.body["error"]["code"] == "INTERNAL_SERVER_ERROR", reply.body
    assert balances.balance("client") == 5 * COST
    body = {"task_small_id": task, "node_small_id": node, "price_per_one_million_compute_units": 150}
    event = http_event("POST", "/daemon/task_update_subscription", body=body, tenant="op")
    subscribe = invoke("daemon_task_update_subscription", event)
    # seed 003: "500 Internal Server Error: Failed to submit the transaction" (the cause is in the log)
    assert subscribe.status == 500 and subscribe.body == {"error": "Failed to submit node task update subscription"}
    with pytest.raises(ChainUnavailable):
        chainops.ops().events_since(None, 10)


def test_a_lost_answer_is_found_by_its_digest_and_sent_once(
    rpc_chain: RpcChain, monkeypatch: pytest.MonkeyPatch
) -> None:
    market()
    balances.credit("client", 5 * COST)
    server = _serve(rpc_chain, _Silent, monkeypatch)
    try:
        recorder = Recorder()
        recorder.wrap(chainops.ops().chain)
        reply = post_lock("client", model=MODEL)
        assert reply.status == 200, reply.body  # executed: found again by its digest
        assert list(recorder.executions.values()) == [1]  # and never sent twice
        assert balances.balance("client") == 4 * COST
        assert rpc_chain.ledger.transaction(reply.body["stack_entry_digest"]) is not None
    finally:
        server.stop()


def test_a_timeout_charges_nothing_and_its_digest_is_fenced(
    rpc_chain: RpcChain, monkeypatch: pytest.MonkeyPatch
) -> None:
    task, _, _ = market()
    coin_pool.maintain(chainops.ops(), "purchaser", size=4)
    balances.credit("client", 5 * COST)
    server = _serve(rpc_chain, _NeverExecutes, monkeypatch)
    try:
        ops = chainops.ops()
        recorder = Recorder()
        recorder.wrap(ops.chain)
        reply = post_lock("client", model=MODEL)
        # the transaction may still land: the purchase saga holds the amount until the chain's answer is final
        assert reply.status == 503 and "not confirmed yet" in reply.body["error"]["message"], reply.body
        assert balances.balance("client") == 4 * COST
        seen: list[str] = []
        with pytest.raises(ChainUnavailable) as lost:
            ops.buy_stack(task_small_id=task, num_compute_units=10, price_cap=PRICE, before_submit=seen.append)
        assert lost.value.digest == seen[0] and rpc_chain.ledger.transaction(seen[0]) is None
        # its lease holds: the transaction may still arrive, so the answer is not final yet
        assert ops.lookup(seen[0]).final is False
    finally:
        server.stop()
    monkeypatch.setenv("SUI_RPC_URL", rpc_chain.url)
    ops = fresh_ops().ops()
    clock.advance(settings().wallet_lease_seconds + 1)
    answer = ops.lookup(seen[0])  # the lease expired: nodeplane spends the coin version, the digest is dead
    assert (answer.outcome, answer.final) == (None, True)
    assert set(recorder.executions.values()) == {1} and rpc_chain.ledger.transaction(seen[0]) is None
    # the lock's purchase too: past its own lease the sweeper fences its digest and refunds it, so nobody paid
    clock.advance(settings().purchase_lease_seconds - settings().wallet_lease_seconds)
    with container("schedule_purchase_sweeper") as sweeper:
        assert sweeper.lambda_handler(schedule_event(), Context())["refunded"] == 1
    assert balances.balance("client") == 5 * COST
    again = post_lock("client", model=MODEL)  # the wallet's coins serve the next purchase
    assert again.status == 200 and balances.balance("client") == 4 * COST, again.body
