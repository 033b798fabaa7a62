"""The chain-access port's contract, run against both adapters: the local ledger in process, and the Sui
GraphQL adapter talking over real HTTP to the stand-in serving that ledger (DynamoDB Local underneath)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from nodeplane.chain.access import (
    ChainAccess,
    ChainUnreachable,
    EventFilter,
    TransactionRejected,
    get_object,
    shared_object,
)
from nodeplane.chain.contract import SUI_COIN_TYPE, coin_type
from nodeplane.chain.graphql import GraphQLChainAccess
from nodeplane.chain.keys import Keypair
from nodeplane.chain.ledger import LocalLedger
from nodeplane.chain.ledger_access import LedgerChainAccess
from nodeplane.chain.signatures import transaction_digest
from nodeplane_local.harness.chain import CLOCK_MS, Wallets, ddb_client, new_ledger
from nodeplane_local.sui_rpc.resolvers import Backend, Root
from nodeplane_local.sui_rpc.server import SuiGraphQLServer

pytestmark = [pytest.mark.dynamodb_local]

ADMIN = Keypair.generate("ed25519")
GAS_PER_TX = 1000 * 1000


@dataclass
class Env:
    kind: str
    ledger: LocalLedger
    chain: ChainAccess
    wallets: Wallets
    info: dict[str, Any]
    url: str | None = None

    def fund(self, kp: Keypair, usdc: int = 0) -> None:
        self.ledger.faucet(kp.address, sui=10**12, usdc=usdc)

    def node(self, kp: Keypair) -> int:
        self.fund(kp)
        res = self.wallets.send(kp, "register_node_entry")
        assert res.ok, res.abort
        return int(res.events[0]["parsedJson"]["node_small_id"]["inner"])  # type: ignore[index]


def _start(ledger: LocalLedger, root: Root | None = None) -> SuiGraphQLServer:
    return SuiGraphQLServer(ledger, root=root).start()


@pytest.fixture(params=["in_process", "graphql"])
def env(request: pytest.FixtureRequest, dynamodb_local: str) -> Iterator[Env]:
    ledger = new_ledger(ddb_client(dynamodb_local), ADMIN, clock_ms=lambda: CLOCK_MS)
    info = ledger.info()
    server = _start(ledger) if request.param == "graphql" else None
    chain: ChainAccess = GraphQLChainAccess(server.url) if server else LedgerChainAccess(ledger)
    try:
        yield Env(
            request.param, ledger, chain, Wallets(chain, info["package"], info["db_id"]), info, server and server.url
        )
    finally:
        if server:
            server.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------- reads


def test_owned_coins_and_badges_by_type(env: Env) -> None:
    kp = Keypair.generate("secp256k1")
    env.fund(kp, usdc=5_000)
    (sui,) = env.chain.owned_objects(kp.address, SUI_COIN_TYPE)
    (usdc,) = env.chain.owned_objects(kp.address, coin_type(env.info["usdc_type"]))
    assert (sui.balance, usdc.balance) == (10**12, 5_000)
    assert len(env.chain.owned_objects(kp.address, "0x2::coin::Coin")) == 2  # any instantiation
    assert env.chain.owned_objects(kp.address, "0x2::coin::Coin<0x2::sui::SUI>") == [sui]  # short addresses too
    small_id = env.node(kp)
    (badge,) = env.chain.owned_objects(kp.address, f"{env.info['package']}::db::NodeBadge")
    assert badge.fields == {"id": badge.object_id, "node_small_id": str(small_id)}
    assert badge.owner == kp.address and badge.type == f"{env.info['package']}::db::NodeBadge"
    assert env.chain.owned_objects(Keypair.generate().address, SUI_COIN_TYPE) == []


def test_object_refs_and_initial_shared_versions(env: Env) -> None:
    kp = Keypair.generate()
    env.fund(kp)
    coin = env.chain.owned_objects(kp.address, SUI_COIN_TYPE)[0]
    info, missing = env.chain.get_objects([coin.object_id, "0x" + "ab" * 32])
    assert missing is None
    assert info is not None and (info.ref, info.owner_kind, info.owner) == (coin.ref, "address", kp.address)
    assert info.fields["balance"] == str(10**12)
    db = shared_object(env.chain, env.info["db_id"])
    assert (db.initial_shared_version, db.mutable) == (env.info["db_initial_shared_version"], True)
    assert shared_object(env.chain, "0x8", mutable=False).initial_shared_version == 1
    db_info = get_object(env.chain, env.info["db_id"])
    assert db_info is not None and db_info.owner_kind == "shared" and db_info.type.endswith("::db::AtomaDb")


def test_epoch_and_reference_gas_price(env: Env) -> None:
    assert (env.chain.epoch().epoch_id, env.chain.epoch().reference_gas_price) == (0, 1000)
    env.ledger.advance_epoch()
    assert env.chain.epoch().epoch_id == 1


# ---------------------------------------------------------------- dry run and execution


def test_dry_run_reports_gas_and_aborts_without_applying(env: Env) -> None:
    kp = Keypair.generate()
    env.fund(kp)
    tx = env.wallets.build(kp, "register_node_entry")
    sim = env.chain.simulate(tx)
    assert sim.ok and sim.gas.total == GAS_PER_TX and sim.abort is None
    assert env.chain.owned_objects(kp.address, f"{env.info['package']}::db::NodeBadge") == []
    assert env.chain.transaction(transaction_digest(tx)) is None
    env.node(kp)
    badge = env.chain.owned_objects(kp.address, f"{env.info['package']}::db::NodeBadge")[0].ref
    failing = env.wallets.build(kp, "subscribe_node_to_task", [42, 10], [badge])
    sim = env.chain.simulate(failing)
    assert (sim.status, sim.abort and sim.abort.name) == ("failure", "ETaskNotFound")


def test_execute_returns_events_and_new_refs(env: Env) -> None:
    kp = Keypair.generate("secp256r1")
    env.fund(kp)
    gas_before = env.wallets.gas(kp)
    tx = env.wallets.build(kp, "register_node_entry")
    res = env.chain.execute(tx, [kp.sign_transaction(tx)])
    assert res.ok and res.digest == transaction_digest(tx) and res.gas.total == GAS_PER_TX
    (event,) = res.events
    pkg = env.info["package"]
    (badge,) = res.created(f"{pkg}::db::NodeBadge")
    assert event["type"] == f"{pkg}::db::NodeRegisteredEvent"
    assert event["parsedJson"] == {"badge_id": badge.object_id, "node_small_id": {"inner": "1"}}
    assert event["id"] == {"txDigest": res.digest, "eventSeq": "0"} and event["sender"] == kp.address
    assert (event["packageId"], event["transactionModule"], event["timestampMs"]) == (pkg, "db", str(CLOCK_MS))
    new_gas = res.new_ref(gas_before.object_id)
    assert new_gas is not None and new_gas.version > gas_before.version
    assert new_gas == env.wallets.gas(kp)  # the effects' ref is the current one: no re-read needed
    assert badge.ref == env.chain.owned_objects(kp.address, f"{pkg}::db::NodeBadge")[0].ref


def test_vector_u8_event_fields_arrive_as_numbers(env: Env) -> None:
    kp = Keypair.generate()
    env.node(kp)
    badge = env.chain.owned_objects(kp.address, f"{env.info['package']}::db::NodeBadge")[0].ref
    res = env.wallets.send(kp, "rotate_node_public_key", [bytes(range(32)), b"\x00ev", 0, 300], [badge])
    assert res.ok, res.abort
    parsed = res.events[0]["parsedJson"]
    assert parsed["new_public_key"] == list(range(32)) and parsed["evidence_bytes"] == [0, 101, 118]
    assert parsed["device_type"] == 300 and parsed["node_id"] == {"inner": "1"}


def test_an_abort_is_a_result_with_its_name_and_charges_gas(env: Env) -> None:
    kp = Keypair.generate()
    env.node(kp)
    gas_before = env.wallets.gas(kp)
    badge = env.chain.owned_objects(kp.address, f"{env.info['package']}::db::NodeBadge")[0].ref
    res = env.wallets.send(kp, "subscribe_node_to_task", [42, 10], [badge])
    assert (res.status, res.events, res.abort and res.abort.name) == ("failure", (), "ETaskNotFound")
    with pytest.raises(Exception, match="ETaskNotFound"):
        res.raise_for_abort()
    new_gas = res.new_ref(gas_before.object_id)
    assert new_gas == env.wallets.gas(kp) and new_gas.version > gas_before.version
    balance = env.chain.owned_objects(kp.address, SUI_COIN_TYPE)[0].balance
    assert balance == 10**12 - 2 * GAS_PER_TX


def test_resubmitting_the_same_bytes_returns_the_outcome_and_applies_once(env: Env) -> None:
    kp = Keypair.generate()
    env.fund(kp)
    tx = env.wallets.build(kp, "register_node_entry")
    sig = kp.sign_transaction(tx)
    first = env.chain.execute(tx, [sig])
    assert env.chain.execute(tx, [sig]) == first
    assert len(env.chain.owned_objects(kp.address, f"{env.info['package']}::db::NodeBadge")) == 1
    page = env.chain.events(EventFilter(module=f"{env.info['package']}::db"))
    assert [e["id"]["txDigest"] for e in page.events] == [first.digest]


def test_lookup_by_digest(env: Env) -> None:
    kp = Keypair.generate()
    env.fund(kp)
    tx = env.wallets.build(kp, "register_node_entry")
    assert env.chain.transaction(transaction_digest(tx)) is None  # known before submission, unknown to the chain
    executed = env.chain.execute(tx, [kp.sign_transaction(tx)])
    assert env.chain.transaction(executed.digest) == executed


def test_rejections_say_what_to_fix(env: Env) -> None:
    kp, mallory = Keypair.generate(), Keypair.generate()
    env.fund(kp)
    stale = env.wallets.gas(kp)
    env.wallets.send(kp, "register_node_entry")
    tx = env.wallets.build(kp, "register_node_entry", gas_payment=stale, gas_budget=40_000_000)  # a new digest
    for check in (lambda: env.chain.execute(tx, [kp.sign_transaction(tx)]), lambda: env.chain.simulate(tx)):
        with pytest.raises(TransactionRejected) as info:
            check()
        assert info.value.kind == "object" and info.value.digest == transaction_digest(tx)
    fresh = env.wallets.build(kp, "register_node_entry")
    with pytest.raises(TransactionRejected) as info:
        env.chain.execute(fresh, [mallory.sign_transaction(fresh)])
    assert info.value.kind == "signature"
    cheap = env.wallets.build(kp, "register_node_entry", gas_budget=999)
    with pytest.raises(TransactionRejected) as info:
        env.chain.simulate(cheap)
    assert info.value.kind == "gas"
    assert env.chain.transaction(transaction_digest(fresh)) is None  # nothing was applied


def test_coin_splits_merges_and_a_gas_only_transaction(env: Env) -> None:
    from nodeplane.chain.coins import GAS, KeepGas, MergeInto, SplitOff, build_coin_transaction

    kp = Keypair.generate()
    env.fund(kp, usdc=1_000)
    usdc_type = coin_type(env.info["usdc_type"])

    def send(*ops: Any) -> Any:
        gas = env.wallets.gas(kp)
        tx = build_coin_transaction(sender=kp.address, ops=ops, gas_payment=[gas], gas_price=1000)
        return env.chain.execute(tx, [kp.sign_transaction(tx)]), gas

    (usdc,) = env.chain.owned_objects(kp.address, usdc_type)
    res, gas = send(SplitOff(GAS, [5 * 10**9, 5 * 10**9]), SplitOff(usdc.ref, [300, 200]))
    assert res.ok, res.abort
    assert sorted(c.balance or 0 for c in res.created(SUI_COIN_TYPE)) == [5 * 10**9] * 2
    assert sorted(c.balance or 0 for c in res.created(usdc_type)) == [200, 300]
    assert res.new_ref(usdc.object_id) is not None and [
        c.balance for c in res.changes if c.object_id == usdc.object_id
    ] == [500]
    assert res.new_ref(gas.object_id) == env.wallets.gas(kp)  # the effects carry every new ref
    coins = env.chain.owned_objects(kp.address, usdc_type)
    assert sorted(c.balance or 0 for c in coins) == [200, 300, 500]
    (biggest, *rest) = sorted(coins, key=lambda c: -(c.balance or 0))
    res, _ = send(MergeInto(biggest.ref, [c.ref for c in rest]))
    assert res.ok and {c.object_id for c in res.changes if c.kind == "deleted"} == {c.object_id for c in rest}
    assert [c.balance for c in env.chain.owned_objects(kp.address, usdc_type)] == [1_000]
    res, gas = send(KeepGas())
    new_gas = res.new_ref(gas.object_id)
    assert res.ok and new_gas is not None and new_gas.version > gas.version
    res, _ = send(SplitOff(GAS, [10**13]))  # more than the coin holds: an execution error, gas charged
    assert (res.status, res.abort and res.abort.name) == ("failure", "InsufficientCoinBalance")


# ---------------------------------------------------------------- events


def test_events_page_with_a_cursor(env: Env) -> None:
    for _ in range(3):
        env.node(Keypair.generate())
    pkg = env.info["package"]
    by_module = EventFilter(module=f"{pkg}::db")
    first = env.chain.events(by_module, None, 2)
    assert len(first.events) == 2 and first.has_next_page and first.cursor == first.cursors[-1]
    second = env.chain.events(by_module, first.cursor, 2)
    assert len(second.events) == 1 and not second.has_next_page
    ids = [e["parsedJson"]["node_small_id"] for e in first.events + second.events]  # type: ignore[index]
    assert ids == [{"inner": "1"}, {"inner": "2"}, {"inner": "3"}]
    empty = env.chain.events(by_module, second.cursor, 2)
    assert (empty.events, empty.cursor, empty.has_next_page) == ((), second.cursor, False)
    resumed = env.chain.events(by_module, first.cursors[0], 5)  # resume after the first event of a page
    assert resumed.events == first.events[1:] + second.events
    by_type = env.chain.events(EventFilter(type=f"{pkg}::db::NodeRegisteredEvent"), None, 10)
    assert by_type.events == first.events + second.events
    assert env.chain.events(EventFilter(type=f"{pkg}::db::StackCreatedEvent")).events == ()


# ---------------------------------------------------------------- transport failures


class _LosesCommitResponses:
    """A DynamoDB client whose writes apply but whose answer never arrives (a read timeout after the commit)."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def transact_write_items(self, **kwargs: Any) -> Any:
        from botocore.exceptions import ReadTimeoutError

        self._client.transact_write_items(**kwargs)
        raise ReadTimeoutError(endpoint_url="http://dynamodb")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


class _SilentAfterExecute(Root):
    """Executes, then holds the answer longer than the client waits (once)."""

    hold = threading.Event()

    def executeTransaction(self, info: Any, **arguments: Any) -> Any:
        result = super().executeTransaction(info, **arguments)
        if not self.hold.is_set():
            self.hold.set()
            time.sleep(1.5)
        return result


def test_an_unreachable_network_is_reported_as_such(env: Env, dynamodb_local: str) -> None:
    kp = Keypair.generate()
    env.fund(kp)
    tx = env.wallets.build(kp, "register_node_entry")
    if env.kind == "graphql":
        down: ChainAccess = GraphQLChainAccess(f"http://127.0.0.1:{_free_port()}/graphql", connect_timeout=0.5)
    else:
        from botocore.config import Config

        config = Config(retries={"max_attempts": 1}, connect_timeout=0.5, read_timeout=0.5)
        client = ddb_client(f"http://127.0.0.1:{_free_port()}", config=config)
        down = LedgerChainAccess(LocalLedger(client, "ledger", admin_address=ADMIN.address))
    with pytest.raises(ChainUnreachable) as info:
        down.execute(tx, [kp.sign_transaction(tx)])
    assert info.value.digest == transaction_digest(tx)
    for read in (down.epoch, lambda: down.owned_objects(kp.address, SUI_COIN_TYPE), lambda: down.transaction("x")):
        with pytest.raises(ChainUnreachable):
            read()


def test_a_lost_answer_is_found_again_by_digest_and_never_applied_twice(env: Env, dynamodb_local: str) -> None:
    kp = Keypair.generate()
    env.fund(kp)
    tx = env.wallets.build(kp, "register_node_entry")
    sig = kp.sign_transaction(tx)
    if env.kind == "graphql":
        _SilentAfterExecute.hold.clear()
        server = _start(env.ledger, _SilentAfterExecute(Backend(env.ledger)))
        flaky: ChainAccess = GraphQLChainAccess(server.url, read_timeout=0.5)
    else:
        lossy = LocalLedger(_LosesCommitResponses(env.ledger._ddb), env.ledger._table, admin_address=ADMIN.address)
        flaky, server = LedgerChainAccess(lossy), None
    try:
        with pytest.raises(ChainUnreachable) as info:
            flaky.execute(tx, [sig])
        digest = info.value.digest
        assert digest == transaction_digest(tx)
        found = env.chain.transaction(digest)
        assert found is not None and found.ok  # it did execute
        assert env.chain.execute(tx, [sig]) == found  # a resubmission replays the outcome
        assert len(env.chain.owned_objects(kp.address, f"{env.info['package']}::db::NodeBadge")) == 1
    finally:
        if server:
            server.stop()
