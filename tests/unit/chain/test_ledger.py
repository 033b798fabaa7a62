"""The local ledger: atoma::db rules, Sui-like checks (signature, sender, versions) and concurrency, on moto."""

from __future__ import annotations

import threading

import boto3
import pytest
from moto import mock_aws

from nodeplane.chain.decoding import decode_move_call
from nodeplane.chain.keys import Keypair
from nodeplane.chain.ledger import LocalLedger, TransactionRejected, TxResult
from nodeplane.chain.transactions import CallSpec, ObjectRef, build_atoma_transaction
from nodeplane_local.harness.chain import create_ledger_table, ddb_client

TABLE = "ledger"
TASK_CONFIDENTIAL, TASK_SAMPLING = 1, 2


@pytest.fixture
def ddb():
    with mock_aws():
        client = boto3.client("dynamodb", region_name="eu-west-1")
        create_ledger_table(client, TABLE)
        yield client


ADMIN = Keypair.generate("ed25519")


class Chain:
    def __init__(self, ddb, table: str = TABLE, **kwargs) -> None:
        self.ledger = LocalLedger(ddb, table, admin_address=ADMIN.address, clock_ms=lambda: 1_700_000_000_000, **kwargs)
        self.info = self.ledger.genesis()

    def fund(self, kp: Keypair, usdc: int = 0) -> None:
        self.ledger.faucet(kp.address, sui=10**12, usdc=usdc)

    def ref(self, kp: Keypair, suffix: str) -> ObjectRef:
        objs = self.ledger.owned_objects(kp.address, suffix)
        assert objs, suffix
        o = max(objs, key=lambda o: o["fields"].get("balance", 0))
        return ObjectRef(o["object_id"], o["version"], o["digest"])

    def build(self, kp: Keypair, function: str, pure=(), objects=()) -> bytes:
        return build_atoma_transaction(
            package=self.info["package"],
            atoma_db=self.ledger.shared_db(),
            sender=kp.address,
            calls=[CallSpec(function, list(pure), list(objects))],
            gas_payment=[self.ref(kp, "Coin<0x2::sui::SUI>")],
            gas_price=self.ledger.reference_gas_price(),
            random_initial_shared_version=self.info["random_initial_shared_version"],
        )

    def send(self, kp: Keypair, function: str, pure=(), objects=()) -> TxResult:
        tx = self.build(kp, function, pure, objects)
        return self.ledger.submit(tx, [kp.sign_transaction(tx)])

    def node(self, kp: Keypair) -> int:
        self.fund(kp)
        res = self.send(kp, "register_node_entry")
        assert res.status == "success", res.error
        return int(res.events[0]["parsedJson"]["node_small_id"]["inner"])

    def badge(self, kp: Keypair) -> ObjectRef:
        return self.ref(kp, "::db::NodeBadge")

    def task(self, level: int, *, public: bool = True) -> int:
        admin_badge = self.ref(ADMIN, "::db::AtomaManagerBadge")
        res = self.send(ADMIN, "create_task_entry", [0, "llama", level, None, public], [admin_badge])
        assert res.status == "success", res.error
        return int(res.events[0]["parsedJson"]["task_small_id"]["inner"])


@pytest.fixture
def chain(ddb) -> Chain:
    c = Chain(ddb)
    c.fund(ADMIN)
    return c


@pytest.fixture
def strict_chain(dynamodb_local: str) -> Chain:
    """Threads racing need the real engine: moto's in-process backend is not thread-safe."""
    client = ddb_client(dynamodb_local)
    c = Chain(client, table=create_ledger_table(client))
    c.fund(ADMIN)
    return c


def test_register_node_event_shape_and_badge(chain: Chain) -> None:
    kp = Keypair.generate("secp256k1")
    chain.fund(kp)
    res = chain.send(kp, "register_node_entry")
    assert res.status == "success"
    (ev,) = res.events
    pkg = chain.info["package"]
    assert ev["type"] == f"{pkg}::db::NodeRegisteredEvent"
    assert ev["id"] == {"txDigest": res.digest, "eventSeq": "0"} and ev["transactionModule"] == "db"
    assert ev["sender"] == kp.address and ev["packageId"] == pkg and ev["timestampMs"] == "1700000000000"
    assert ev["parsedJson"] == {"badge_id": chain.badge(kp).object_id, "node_small_id": {"inner": "1"}}
    assert chain.node(Keypair.generate("ed25519")) == 2


def test_subscription_rules(chain: Chain) -> None:
    kp = Keypair.generate("ed25519")
    chain.node(kp)
    task = chain.task(1)
    assert chain.send(kp, "subscribe_node_to_task", [99, 10], [chain.badge(kp)]).error == "ETaskNotFound"
    assert chain.send(kp, "subscribe_node_to_task", [task, 0], [chain.badge(kp)]).error == "EInvalidPrice"
    assert chain.send(kp, "update_node_subscription", [task, 5], [chain.badge(kp)]).error == "ENotSubscribed"
    res = chain.send(kp, "subscribe_node_to_task", [task, 10], [chain.badge(kp)])
    assert res.status == "success"
    assert res.events[0]["parsedJson"] == {
        "task_small_id": {"inner": str(task)},
        "node_small_id": {"inner": "1"},
        "price_per_one_million_compute_units": "10",
        "max_num_compute_units": "1000000",
    }
    assert chain.send(kp, "subscribe_node_to_task", [task, 10], [chain.badge(kp)]).error == "EAlreadySubscribed"
    assert chain.send(kp, "update_node_subscription", [task, 20], [chain.badge(kp)]).status == "success"
    assert chain.send(kp, "unsubscribe_node_from_task", [task], [chain.badge(kp)]).status == "success"
    assert chain.send(kp, "unsubscribe_node_from_task", [task], [chain.badge(kp)]).error == "ENotSubscribed"
    private = chain.task(1, public=False)
    assert chain.send(kp, "subscribe_node_to_task", [private, 10], [chain.badge(kp)]).error == "ENodeNotWhitelisted"
    (tb,) = [
        o for o in chain.ledger.owned_objects(ADMIN.address, "::db::TaskBadge") if o["fields"]["task_small_id"] == task
    ]
    res = chain.send(ADMIN, "deprecate_task", [], [ObjectRef(tb["object_id"], tb["version"], tb["digest"])])
    assert res.events[0]["type"].endswith("::db::TaskDeprecationEvent")
    assert res.events[0]["parsedJson"] == {
        "task_id": tb["object_id"],
        "task_small_id": {"inner": str(task)},
        "epoch": "0",
    }
    assert chain.send(kp, "subscribe_node_to_task", [task, 10], [chain.badge(kp)]).error == "ETaskDeprecated"


def test_only_admin_creates_tasks(chain: Chain) -> None:
    kp = Keypair.generate("ed25519")
    chain.node(kp)
    # the admin badge is owned by the admin: someone else cannot even use it as an input
    with pytest.raises(TransactionRejected, match="not owned by the sender"):
        chain.send(kp, "create_task_entry", [0, None, 1, None, True], [chain.ref(ADMIN, "::db::AtomaManagerBadge")])
    assert chain.send(kp, "create_task_entry", [0, None, 1, None, True], [chain.badge(kp)]).error == "ENotAuthorized"
    admin_badge = chain.ref(ADMIN, "::db::AtomaManagerBadge")
    assert chain.send(ADMIN, "create_task_entry", [9, None, 1, None, True], [admin_badge]).error == "EInvalidTaskRole"


def test_key_rotation(chain: Chain) -> None:
    kp = Keypair.generate("ed25519")
    chain.node(kp)
    admin_badge = chain.ref(ADMIN, "::db::AtomaManagerBadge")
    res = chain.send(ADMIN, "new_network_key_rotation", [], [admin_badge])
    assert res.events[0]["type"].endswith("::db::NewKeyRotationEvent")
    assert res.events[0]["parsedJson"]["key_rotation_counter"] == "1"
    pk = bytes(range(32))
    assert (
        chain.send(kp, "rotate_node_public_key", [pk, b"ev", 0, 400], [chain.badge(kp)]).error
        == "EInvalidKeyRotationCounter"
    )
    assert (
        chain.send(kp, "rotate_node_public_key", [pk, b"ev", 1, 16000], [chain.badge(kp)]).error == "EInvalidDeviceType"
    )
    res = chain.send(kp, "rotate_node_public_key", [pk, b"ev", 1, 400], [chain.badge(kp)])
    assert res.events[0]["type"].endswith("::db::NodePublicKeyCommittmentEvent")
    assert res.events[0]["parsedJson"]["new_public_key"] == list(pk)
    assert (
        chain.send(kp, "rotate_node_public_key", [bytes(32), b"", 1, 401], [chain.badge(kp)]).error
        == "EPublicKeyMismatch"
    )


def _confidential_stack(chain: Chain, node: Keypair, user: Keypair) -> tuple[int, int]:
    task = chain.task(1)
    chain.node(node)
    assert chain.send(node, "subscribe_node_to_task", [task, 200], [chain.badge(node)]).status == "success"
    chain.fund(user, usdc=1_000)
    return task, 0


def test_acquire_stack_and_claim_confidential(chain: Chain) -> None:
    node, user = Keypair.generate("secp256r1"), Keypair.generate("ed25519")
    task, _ = _confidential_stack(chain, node, user)
    usdc = "::usdc::USDC>"
    assert (
        chain.send(user, "acquire_new_stack_entry", [task, 1_000_000, 100], [chain.ref(user, usdc)]).error
        == "ENoNodesEligibleForTask"
    )
    assert (
        chain.send(user, "acquire_new_stack_entry", [task, 10_000_000, 300], [chain.ref(user, usdc)]).error
        == "EInsufficientBalance"
    )
    assert (
        chain.send(user, "acquire_new_stack_entry", [task, 0, 300], [chain.ref(user, usdc)]).error
        == "EInvalidComputeUnits"
    )
    res = chain.send(user, "acquire_new_stack_entry", [task, 1_000_000, 300], [chain.ref(user, usdc)])
    assert res.status == "success", res.error
    ev = res.events[0]["parsedJson"]
    assert ev["selected_node_id"] == {"inner": "1"} and ev["price_per_one_million_compute_units"] == "300"
    assert chain.ledger.get_object(chain.ref(user, usdc).object_id)["fields"]["balance"] == 700
    stack = int(ev["stack_small_id"]["inner"])
    other = Keypair.generate("ed25519")
    chain.node(other)
    assert chain.send(other, "claim_funds_for_stacks", [[stack], [1]], [chain.badge(other)]).error == "ENotStackOwner"
    assert chain.send(node, "claim_funds_for_stacks", [[stack], [1, 2]], [chain.badge(node)]).error == "EInvalidInput"
    assert (
        chain.send(node, "claim_funds_for_stacks", [[stack], [2_000_000]], [chain.badge(node)]).error
        == "ETooManyComputedUnits"
    )
    res = chain.send(node, "claim_funds_for_stacks", [[stack], [500_000]], [chain.badge(node)])
    assert res.events[0]["type"].endswith("::db::ClaimedStackEvent")
    assert res.events[0]["parsedJson"]["user_refund_amount"] == "150"
    assert sum(o["fields"]["balance"] for o in chain.ledger.owned_objects(node.address, usdc)) == 150
    assert sum(o["fields"]["balance"] for o in chain.ledger.owned_objects(user.address, usdc)) == 850
    assert (
        chain.send(node, "claim_funds_for_stacks", [[stack], [1]], [chain.badge(node)]).error == "EStackAlreadyClaimed"
    )


def test_sampling_consensus_settlement_dispute_and_resolution(ddb) -> None:
    chain = Chain(ddb, cross_validation_probability_permille=1000)  # always sample an attester
    chain.fund(ADMIN)
    task = chain.task(2)
    node, attester, user = Keypair.generate("ed25519"), Keypair.generate("ed25519"), Keypair.generate("ed25519")
    for kp in (node, attester):
        chain.node(kp)
        chain.send(kp, "subscribe_node_to_task", [task, 100], [chain.badge(kp)])
    chain.fund(user, usdc=10_000)

    def buy() -> tuple[int, Keypair, Keypair]:
        res = chain.send(user, "acquire_new_stack_entry", [task, 1_000_000, 100], [chain.ref(user, "::usdc::USDC>")])
        ev = res.events[0]["parsedJson"]
        sel = node if ev["selected_node_id"]["inner"] == "1" else attester
        return int(ev["stack_small_id"]["inner"]), sel, attester if sel is node else node

    stack, sel, att = buy()
    leaf_sel, leaf_att = bytes([1]) * 32, bytes([2]) * 32
    from nodeplane.chain.signatures import blake2b256

    proof = blake2b256(leaf_sel + leaf_att)
    assert (
        chain.send(att, "try_settle_stack", [stack, 10, proof, leaf_sel], [chain.badge(att)]).error == "ENotStackOwner"
    )
    res = chain.send(sel, "try_settle_stack", [stack, 600_000, proof, leaf_sel], [chain.badge(sel)])
    assert res.status == "success", res.error
    assert len(res.events[0]["parsedJson"]["requested_attestation_nodes"]) == 1
    assert chain.send(sel, "claim_funds", [[stack]], [chain.badge(sel)]).error == "EDisputeWindowNotOver"
    res = chain.send(att, "submit_stack_settlement_attestation", [stack, proof, leaf_att], [chain.badge(att)])
    assert [e["type"].split("::")[-1] for e in res.events] == [
        "NewStackSettlementAttestationEvent",
        "StackSettlementTicketEvent",
    ]
    chain.ledger.advance_epoch()
    res = chain.send(sel, "claim_funds", [[stack]], [chain.badge(sel)])
    assert res.events[0]["type"].endswith("::db::StackSettlementTicketClaimedEvent"), res.error
    # cost 121 (*1212/1000), fee 600_000·100·1.2/1e6 = 72, refund 49
    assert res.events[0]["parsedJson"]["user_refund_amount"] == "49"

    stack, sel, att = buy()
    assert chain.send(sel, "try_settle_stack", [stack, 1, proof, leaf_sel], [chain.badge(sel)]).status == "success"
    outsider = Keypair.generate("ed25519")
    chain.node(outsider)
    assert (
        chain.send(outsider, "start_attestation_dispute", [stack, proof], [chain.badge(outsider)]).error
        == "ENodeNotSelectedForAttestation"
    )
    res = chain.send(att, "submit_stack_settlement_attestation", [stack, bytes(32), leaf_att], [chain.badge(att)])
    assert res.events[0]["type"].endswith("::db::StackAttestationDisputeEvent")
    chain.ledger.advance_epoch()
    assert chain.send(sel, "claim_funds", [[stack]], [chain.badge(sel)]).error == "EStackInDispute"
    admin_badge = chain.ref(ADMIN, "::db::AtomaManagerBadge")
    res = chain.send(ADMIN, "resolve_attestation_dispute", [stack, False], [admin_badge])
    assert res.events[0]["parsedJson"]["user_refund_amount"] == "121"
    assert chain.send(sel, "claim_funds", [[stack]], [chain.badge(sel)]).error == "EStackNotInSettlement"


def test_signature_by_someone_else_is_refused(chain: Chain) -> None:
    kp, mallory = Keypair.generate("ed25519"), Keypair.generate("ed25519")
    chain.fund(kp)
    tx = chain.build(kp, "register_node_entry")
    with pytest.raises(TransactionRejected, match="signature refused"):
        chain.ledger.submit(tx, [mallory.sign_transaction(tx)])
    with pytest.raises(TransactionRejected, match="signature refused"):
        chain.ledger.submit(tx, [kp.sign_transaction(tx + b"\x00")])
    with pytest.raises(TransactionRejected, match="not signed"):
        chain.ledger.submit(tx, [])


def test_stale_object_version_refused_and_resubmission_idempotent(chain: Chain) -> None:
    kp = Keypair.generate("ed25519")
    chain.fund(kp)
    tx = chain.build(kp, "register_node_entry")
    sig = kp.sign_transaction(tx)
    first = chain.ledger.submit(tx, [sig])
    assert chain.ledger.submit(tx, [sig]) == first  # same digest: result replayed, not applied twice
    assert chain.ledger.events_since(None, 100)[0].count(first.events[0]) == 1
    old_gas = decode_move_call(tx).gas.payment[0]  # the gas coin version `first` consumed
    stale = build_atoma_transaction(
        package=chain.info["package"],
        atoma_db=chain.ledger.shared_db(),
        sender=kp.address,
        calls=[CallSpec("register_node_entry")],
        gas_payment=[old_gas],
        gas_price=1000,
        gas_budget=40_000_000,
    )
    with pytest.raises(TransactionRejected, match="is not current"):
        chain.ledger.submit(stale, [kp.sign_transaction(stale)])


def test_versions_bump_like_sui(chain: Chain) -> None:
    kp = Keypair.generate("ed25519")
    chain.node(kp)
    task = chain.task(1)
    before = chain.badge(kp)
    db_before = chain.ledger.get_object(chain.info["db_id"])["version"]
    chain.send(kp, "subscribe_node_to_task", [task, 1], [before])
    after = chain.badge(kp)
    gas = chain.ref(kp, "Coin<0x2::sui::SUI>")
    assert after.version > before.version and after.digest != before.digest
    assert gas.version == after.version == chain.ledger.get_object(chain.info["db_id"])["version"] > db_before


def test_events_paging(chain: Chain) -> None:
    for _ in range(3):
        chain.node(Keypair.generate("ed25519"))
    all_events, _ = chain.ledger.events_since(None, 100)
    page1, cur = chain.ledger.events_since(None, 2)
    page2, cur2 = chain.ledger.events_since(cur, 2)
    assert len(all_events) == 3 and (len(page1), len(page2)) == (2, 1)
    assert page1 + page2 == all_events
    assert chain.ledger.events_since(cur2, 2) == ([], cur2)


def test_genesis_is_idempotent(chain: Chain, ddb) -> None:
    again = LocalLedger(ddb, TABLE, admin_address=ADMIN.address).genesis()
    assert again == chain.info


def test_concurrent_conflicting_transactions_apply_once(strict_chain: Chain) -> None:
    kp = Keypair.generate("ed25519")
    strict_chain.fund(kp)
    # Two transactions spending the same gas coin version: whichever commits first wins.
    txs = [strict_chain.build(kp, "register_node_entry")]
    gas = strict_chain.ref(kp, "Coin<0x2::sui::SUI>")
    txs.append(
        build_atoma_transaction(
            package=strict_chain.info["package"],
            atoma_db=strict_chain.ledger.shared_db(),
            sender=kp.address,
            calls=[CallSpec("register_node_entry")],
            gas_payment=[gas],
            gas_price=1000,
            gas_budget=40_000_000,
        )
    )
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def run(tx: bytes) -> None:
        barrier.wait()
        try:
            outcomes.append(strict_chain.ledger.submit(tx, [kp.sign_transaction(tx)]).status)
        except TransactionRejected:
            outcomes.append("rejected")

    threads = [threading.Thread(target=run, args=(tx,)) for tx in txs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["rejected", "success"]
    assert len(strict_chain.ledger.owned_objects(kp.address, "::db::NodeBadge")) == 1


def test_concurrent_independent_transactions_both_apply_with_distinct_ids(strict_chain: Chain) -> None:
    kps = [Keypair.generate("ed25519") for _ in range(2)]
    txs = []
    for kp in kps:
        strict_chain.fund(kp)
        txs.append((kp, strict_chain.build(kp, "register_node_entry")))
    results: list[TxResult] = []
    barrier = threading.Barrier(2)

    def run(kp: Keypair, tx: bytes) -> None:
        barrier.wait()
        results.append(strict_chain.ledger.submit(tx, [kp.sign_transaction(tx)]))

    threads = [threading.Thread(target=run, args=pair) for pair in txs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = sorted(r.events[0]["parsedJson"]["node_small_id"]["inner"] for r in results)
    assert ids == ["1", "2"]


def test_conflicting_commit_is_retried_on_fresh_state(chain: Chain, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another writer commits between our read and our write: we re-execute, never apply stale state."""
    kp, rival = Keypair.generate("ed25519"), Keypair.generate("ed25519")
    chain.fund(kp)
    chain.fund(rival)
    rival_tx = chain.build(rival, "register_node_entry")
    tx = chain.build(kp, "register_node_entry")
    real_commit = chain.ledger._commit
    calls = {"n": 0}

    def commit_after_rival(view, expected_version):
        calls["n"] += 1
        if calls["n"] == 1:
            monkeypatch.setattr(chain.ledger, "_commit", real_commit)
            chain.ledger.submit(rival_tx, [rival.sign_transaction(rival_tx)])  # sneaks in first
            monkeypatch.setattr(chain.ledger, "_commit", commit_after_rival)
        return real_commit(view, expected_version)

    monkeypatch.setattr(chain.ledger, "_commit", commit_after_rival)
    res = chain.ledger.submit(tx, [kp.sign_transaction(tx)])
    assert calls["n"] == 2  # first attempt lost the race, second applied
    assert res.events[0]["parsedJson"]["node_small_id"] == {"inner": "2"}


def test_abort_charges_gas_but_changes_nothing_else(chain: Chain) -> None:
    kp = Keypair.generate("ed25519")
    chain.node(kp)
    gas_before = chain.ledger.get_object(chain.ref(kp, "Coin<0x2::sui::SUI>").object_id)
    events_before, _ = chain.ledger.events_since(None, 100)
    res = chain.send(kp, "subscribe_node_to_task", [42, 10], [chain.badge(kp)])
    assert (res.status, res.error, res.events) == ("failure", "ETaskNotFound", [])
    gas_after = chain.ledger.get_object(gas_before["object_id"])
    assert gas_after["fields"]["balance"] == gas_before["fields"]["balance"] - 1000 * 1000
    assert gas_after["version"] > gas_before["version"]  # the old ref is now stale, as on Sui
    assert chain.ledger.events_since(None, 100)[0] == events_before
