"""Settlement end to end in-process: daemon APIs, the SQS worker and sweeper, against a fake chain.

The fake chain (nodeplane_local/harness/fakes.py) keeps the contract's rules and counts every chain call and payment, so
"nothing happened twice" is checked on the chain's side, not only in DynamoDB.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import uuid
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from nodeplane import clock, store
from nodeplane.network import chain_events, chainops, items, usage
from nodeplane.network.settlement import jobs, proofs, tickets
from nodeplane.settings import settings
from nodeplane_local.harness.fakes import FakeChain
from nodeplane_local.harness.lambda_events import Context, http_event, invoke, load_function, received_event, sqs_event
from nodeplane_local.harness.network import chain_event, hold_operator_key, inner, register_operator

ALICE, BOB = "alice", "bob"


# --- Sui ed25519 keys, written out here: signature = base64(flag ‖ sig ‖ pubkey), address = blake2b256(flag ‖ pubkey)


class Key:
    def __init__(self) -> None:
        self.private = Ed25519PrivateKey.generate()
        self.public = self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.address = "0x" + hashlib.blake2b(b"\x00" + self.public, digest_size=32).hexdigest()

    def sign(self, digest: bytes) -> str:
        return base64.b64encode(b"\x00" + self.private.sign(digest) + self.public).decode()


# --- the world: two operators, a sampling-consensus task and a confidential task ------------------------------------


class World:
    def __init__(self, chain: FakeChain) -> None:
        self.chain = chain
        self.keys = {1: Key(), 2: Key(), 3: Key()}
        # node 1 (alice) sells stacks; node 2 (alice too) and node 3 (bob) attest
        for n in (1, 2, 3):
            assert chain.add_node(self.keys[n].address) == n
        self.sampling_task = chain.create_task(2)
        self.confidential_task = chain.create_task(1)
        for tenant, node in ((ALICE, 1), (BOB, 3)):
            register_operator(tenant, self.keys[node].address)
        # nodeplane holds the operator keys of the local network
        for n in (1, 2):
            hold_operator_key(self.keys[n].address)
        chain_events.poll(chain)

    def stack(self, task: int, units: int = 1000) -> int:
        stack = self.chain.create_stack(task, 1, units)
        chain_events.poll(self.chain)
        return stack

    def report(self, stack: int, units: int, *, request_id: str | None = None, lock_id: str | None = None) -> Any:
        request_id = request_id or uuid.uuid4().hex
        digest = usage.usage_digest(stack, 1, units, lock_id, request_id)
        data: dict[str, Any] = {"stack_small_id": stack, "node_small_id": 1, "num_compute_units": units}
        if lock_id:
            data["lock_id"] = lock_id
        data["request_id"] = request_id
        body = {"data": data, "signature": self.keys[1].sign(digest)}
        return invoke("proxy_usage_report", http_event("POST", "/proxy/v1/stacks/usage", body=body, tenant=None))


def lock(stack: int, lock_id: str, units: int) -> None:
    """What network/locks/reserve.py does: reserve units on the stack and keep the lock in its ``locks`` map."""
    pk = items.stack_pk(stack)
    with contextlib.suppress(store.TransactionFailed):
        store.transact(
            [
                store.update(
                    pk,
                    "STACK",
                    "SET #l = :e",
                    condition="attribute_not_exists(#l)",
                    names={"#l": "locks"},
                    values={":e": {}},
                )
            ]
        )
    store.transact(
        [
            store.update(
                pk,
                "STACK",
                "SET #locks.#id = :lock, locked_compute_units = locked_compute_units + :m, "
                "available_units = available_units - :m",
                condition="available_units >= :m",
                names={"#locks": "locks", "#id": lock_id},
                values={":m": units, ":lock": {"units": units, "expires_at": 0}},
            )
        ]
    )


@pytest.fixture
def world(aws_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SETTLEMENT_WINDOW_SECONDS", "60")
    chain = FakeChain(sample=[2], epoch_seconds=60)
    chainops.use(chain)
    try:
        yield World(chain)
    finally:
        chainops.use(None)


# --- SQS plumbing -------------------------------------------------------------------------------------------------


def _sqs() -> Any:
    return boto3.client("sqs")


def job_event(*stacks: int) -> dict[str, Any]:
    return sqs_event([jobs.job(s, None) for s in stacks])


def run_worker(event: dict[str, Any]) -> set[str]:
    """Invoke the worker; the ids of the records that failed (all of them when the batch raised)."""
    worker = load_function("queue_settlement_worker")
    try:
        result = worker.lambda_handler(event, Context(aws_request_id="w"))
    except BatchProcessingError:
        return {r["messageId"] for r in event["Records"]}
    return {f["itemIdentifier"] for f in result["batchItemFailures"]}


def drain(url: str, *, visibility: int | None = None, rounds: int = 20) -> int:
    """receive → worker → delete the successes, until the queue is empty; returns messages processed."""
    done = 0
    for _ in range(rounds):
        kwargs: dict[str, Any] = {"QueueUrl": url, "MaxNumberOfMessages": 10, "AttributeNames": ["All"]}
        if visibility is not None:
            kwargs["VisibilityTimeout"] = visibility
        messages = _sqs().receive_message(**kwargs).get("Messages", [])
        if not messages:
            return done
        failed = run_worker(received_event(messages))
        for m in messages:
            if m["MessageId"] not in failed:
                _sqs().delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
                done += 1
    return done


def claimed(tenant: str = ALICE, node: int | None = None) -> list[dict[str, Any]]:
    if node is None:
        reply = invoke("daemon_claimed_stacks", http_event("GET", "/daemon/claimed_stacks", tenant=tenant))
    else:
        reply = invoke(
            "daemon_claimed_stacks_node",
            http_event("GET", "/daemon/claimed_stacks/{node_small_id}", {"node_small_id": str(node)}, tenant=tenant),
        )
    assert reply.status == 200, reply.body
    return reply.body


def claim_stacks(body: dict[str, Any], tenant: str = ALICE) -> Any:
    return invoke("daemon_claim_stacks", http_event("POST", "/daemon/claim_stacks", body=body, tenant=tenant))


def own_daemon_settles(world: World, stack: int, units: int) -> None:
    """Node 1's operator settles from its own daemon, straight on chain (nodeplane's API would refuse a claim above
    the units usage reports recorded); nodeplane learns of it from the chain's events."""
    outcome = world.chain.try_settle_stack(
        operator=world.keys[1].address,
        node_small_id=1,
        stack_small_id=stack,
        units=units,
        proof=proofs.committed_proof(stack, units),
        leaf=proofs.leaf(stack, units, 0),
    )
    assert outcome.ok, outcome.error
    chain_events.poll(world.chain)


def pass_window(world: World) -> None:
    clock.advance(61)
    world.chain.epoch += 1


# --- lifecycle ---------------------------------------------------------------------------------------------------


def test_sampling_settlement_runs_to_complete_and_pays_once(world: World, aws_env: dict[str, Any]):
    stack = world.stack(world.sampling_task)
    assert world.report(stack, 400).status == 200

    reply = claim_stacks({"stack_small_ids": [stack]})
    assert reply.status == 200 and reply.body["tx_digest"].startswith("FakeTx")
    [row] = claimed()
    assert row["attestation_status"] == "Pending" and row["requested_attestation_nodes"] == "[2]"
    assert (row["received_attestations"], row["required_attestations"], row["settlement_complete"]) == (0, 1, False)
    assert row["num_claimed_compute_units"] == 400 and row["stack_id"] == f"0xstack{stack}"
    assert store.get(items.stack_pk(stack), "STACK")["in_settle_period"] is True  # same transaction as the ticket

    # the worker attests for node 2 (nodeplane holds its key); the window is still open, so no claim yet
    assert drain(aws_env["SETTLEMENT_QUEUE_URL"]) >= 1
    [row] = claimed()
    assert row["attestation_status"] == "Complete" and row["received_attestations"] == 1
    assert row["settlement_complete"] is False and world.chain.calls["claim_funds"] == 0

    pass_window(world)
    assert run_worker(job_event(stack)) == set()
    [row] = claimed()
    assert row["settlement_complete"] is True
    assert world.chain.payments == [("claim_funds", stack, 400)]
    assert claimed(node=1) == [row] and claimed(BOB) == []

    # duplicates and replays change nothing
    before = dict(world.chain.calls)
    assert run_worker(job_event(stack, stack)) == set()
    for event in world.chain.log:
        assert chain_events.apply([event]) == 0
    assert dict(world.chain.calls) == before and claimed() == [row]
    assert store.get(items.stack_pk(stack), "STACK")["is_claimed"] is True


def test_a_node_that_is_not_the_operators_is_404(world: World):
    reply = invoke(
        "daemon_claimed_stacks_node",
        http_event("GET", "/daemon/claimed_stacks/{node_small_id}", {"node_small_id": "1"}, tenant=BOB),
    )
    assert reply.status == 404 and isinstance(reply.body["error"], str)
    bad = invoke(
        "daemon_claimed_stacks_node",
        http_event("GET", "/daemon/claimed_stacks/{node_small_id}", {"node_small_id": "x"}, tenant=ALICE),
    )
    assert bad.status == 400 and isinstance(bad.body["error"], str)
    stack = world.stack(world.sampling_task)
    assert claim_stacks({"stack_small_ids": [stack]}, tenant=BOB).status == 403  # nodeplane cannot sign for bob
    hold_operator_key(world.keys[3].address)
    assert claim_stacks({"stack_small_ids": [stack]}, tenant=BOB).status == 404
    assert world.chain.calls["try_settle_stack"] == 0


def test_disagreeing_attestation_opens_a_dispute_that_resolves(world: World, aws_env: dict[str, Any]):
    stack = world.stack(world.sampling_task)
    world.report(stack, 400)
    # the node claims more than nodeplane counted: the attestation (from nodeplane's count) disagrees
    own_daemon_settles(world, stack, 900)
    drain(aws_env["SETTLEMENT_QUEUE_URL"])
    ticket = tickets.ticket(stack)
    assert ticket["settlement_status"] == tickets.DISPUTED and ticket["is_in_dispute"] is True
    assert store.get(items.stack_pk(stack), items.dispute_sk(2))["original_node_id"] == 1
    [row] = claimed()
    assert row["attestation_status"] == "Pending" and row["received_attestations"] == 1

    # one vote each: no majority, so it waits for an admin, then gives up at the deadline instead of blocking
    assert run_worker(job_event(stack)) == set()
    assert tickets.ticket(stack)["settlement_status"] == tickets.DISPUTED
    clock.advance(settings().dispute_resolution_seconds + 1)
    assert run_worker(job_event(stack)) == set()
    ticket = tickets.ticket(stack)
    assert ticket["settlement_status"] == tickets.FAILED and "dispute unresolved" in ticket["failure_reason"]
    [row] = claimed()
    assert row["attestation_status"] == "Failed" and row["settlement_complete"] is False
    assert world.chain.payments == [] and world.chain.calls["claim_funds"] == 0
    assert store.get(items.stack_pk(stack), "STACK")["in_settle_period"] is False


def test_admin_resolution_against_the_node_fails_the_ticket(world: World, aws_env: dict[str, Any]):
    stack = world.stack(world.sampling_task)
    world.report(stack, 400)
    own_daemon_settles(world, stack, 900)
    drain(aws_env["SETTLEMENT_QUEUE_URL"])
    tickets.resolve_dispute(stack, "attesters")
    ticket = tickets.ticket(stack)
    assert ticket["settlement_status"] == tickets.FAILED and ticket["dispute_resolution"] == "attesters"
    assert "gsi3pk" not in ticket  # no work left for the sweeper


def test_attestation_and_claim_funds_through_the_daemon_api(world: World):
    world.chain.sample = [3]  # bob's node attests; nodeplane holds no key for it, so the worker cannot
    stack = world.stack(world.sampling_task)
    world.report(stack, 400)
    claim_stacks({"stack_small_ids": [stack]})
    assert run_worker(job_event(stack)) == set() and world.chain.calls["submit_attestation"] == 0

    body = {"stack_small_ids": [stack]}
    attest = http_event("POST", "/daemon/attestations", body=body, tenant=BOB)
    assert invoke("daemon_attestations", attest).status == 403  # bob's key is not with nodeplane yet
    hold_operator_key(world.keys[3].address)
    reply = invoke("daemon_attestations", attest)
    assert reply.status == 200 and len(reply.body["tx_digests"]) == 1
    again = invoke("daemon_attestations", attest)  # a retry re-uses the recorded digest
    assert again.status == 200 and again.body == reply.body and world.chain.calls["submit_attestation"] == 1
    assert claimed()[0]["attestation_status"] == "Complete"

    claim = http_event("POST", "/daemon/claim_funds", body=body, tenant=ALICE)
    early = invoke("daemon_claim_funds", claim)
    assert early.status == 409 and "dispute window" in early.body["error"]
    assert invoke("daemon_claim_funds", http_event("POST", "/daemon/claim_funds", body=body, tenant=BOB)).status == 404
    pass_window(world)
    paid = invoke("daemon_claim_funds", claim)
    assert paid.status == 200 and paid.body["tx_digest"].startswith("FakeTx")
    assert invoke("daemon_claim_funds", claim).body == paid.body  # idempotent
    assert run_worker(job_event(stack)) == set()
    assert world.chain.payments == [("claim_funds", stack, 400)] and claimed()[0]["settlement_complete"] is True


def test_claim_funds_claims_what_is_left_and_answers_earlier_claims(world: World, aws_env: dict[str, Any]):
    url = aws_env["SETTLEMENT_QUEUE_URL"]
    first = world.stack(world.sampling_task)
    world.report(first, 300)
    claim_stacks({"stack_small_ids": [first]})
    drain(url)
    pass_window(world)
    assert run_worker(job_event(first)) == set() and claimed()[0]["settlement_complete"] is True
    second = world.stack(world.sampling_task)
    world.report(second, 500)
    claim_stacks({"stack_small_ids": [second]})
    drain(url)  # attested; the window is open, so the worker waits
    pass_window(world)

    body = {"stack_small_ids": [first, second]}
    reply = invoke("daemon_claim_funds", http_event("POST", "/daemon/claim_funds", body=body, tenant=ALICE))
    assert reply.status == 200 and len(set(reply.body["tx_digests"])) == 2
    assert reply.body["tx_digests"][0] == tickets.ticket(first)["claim_tx"]
    assert reply.body["tx_digests"][1] == tickets.ticket(second)["claim_tx"]
    assert world.chain.payments == [("claim_funds", first, 300), ("claim_funds", second, 500)]
    again = invoke("daemon_claim_funds", http_event("POST", "/daemon/claim_funds", body=body, tenant=ALICE))
    assert again.body == reply.body and world.chain.calls["claim_funds"] == 2


def test_a_claim_before_the_chains_epoch_turned_waits_instead_of_failing(world: World, aws_env: dict[str, Any]):
    world.chain.epoch_seconds = None  # the chain's epoch turns only when told: nodeplane's window passes first
    stack = world.stack(world.sampling_task)
    world.report(stack, 400)
    claim_stacks({"stack_small_ids": [stack]})
    drain(aws_env["SETTLEMENT_QUEUE_URL"])
    clock.advance(61)
    assert run_worker(job_event(stack)) == set()  # EDisputeWindowNotOver: retried later, not a failed message
    ticket = tickets.ticket(stack)
    assert ticket["settlement_status"] == tickets.SETTLED and ticket["next_action"] == "claim"
    assert world.chain.calls["claim_funds"] == 1 and world.chain.payments == []
    world.chain.epoch += 1
    assert run_worker(job_event(stack)) == set()
    assert world.chain.payments == [("claim_funds", stack, 400)] and claimed()[0]["settlement_complete"] is True


def test_a_claim_in_flight_elsewhere_makes_the_worker_look_again_soon(world: World, aws_env: dict[str, Any]):
    stack = world.stack(world.sampling_task)
    world.report(stack, 400)
    claim_stacks({"stack_small_ids": [stack]})
    drain(aws_env["SETTLEMENT_QUEUE_URL"])
    pass_window(world)
    # the operator's POST /daemon/claim_funds is inside its chain call right now
    step = {"pk": items.stack_pk(stack), "sk": items.step_sk("claim"), "entity": "chain_step", "state": "started"}
    store.transact([store.put(step | {"step": "claim", "started_at": clock.now()})])
    assert run_worker(job_event(stack)) == set() and world.chain.calls["claim_funds"] == 0
    assert tickets.ticket(stack)["next_action"] == "claim"
    clock.advance(settings().settlement_step_lease_seconds + 1)  # that call died: after its lease the worker takes over
    assert run_worker(job_event(stack)) == set()
    assert world.chain.payments == [("claim_funds", stack, 400)]


def resolved_event(world: World, stack: int, original_is_correct: bool, refund: int) -> dict[str, Any]:
    """The local ledger's StackDisputeResolvedEvent (the fake chain has no resolution entry of its own)."""
    data = {
        "stack_small_id": inner(stack),
        "selected_node_id": inner(1),
        "original_is_correct": original_is_correct,
        "user_refund_amount": str(refund),
    }
    return chain_event("StackDisputeResolvedEvent", data, tx=f"Resolve{stack}", sender="0xadmin")


def test_the_chains_dispute_resolution_settles_or_fails_the_ticket(world: World, aws_env: dict[str, Any]):
    url = aws_env["SETTLEMENT_QUEUE_URL"]
    won, lost = world.stack(world.sampling_task), world.stack(world.sampling_task)
    for stack in (won, lost):
        world.report(stack, 400)
    for stack in (won, lost):
        own_daemon_settles(world, stack, 900)
    drain(url)
    assert {tickets.ticket(s)["settlement_status"] for s in (won, lost)} == {tickets.DISPUTED}

    world.chain.tickets[won]["in_dispute"] = False  # what the ledger's resolution does on chain
    chain_events.apply([resolved_event(world, won, True, 0), resolved_event(world, lost, False, 1000)])
    assert tickets.ticket(won)["settlement_status"] == tickets.SETTLED
    lost_ticket = tickets.ticket(lost)
    assert lost_ticket["settlement_status"] == tickets.FAILED and lost_ticket["user_refund_amount"] == 1000
    assert "gsi3pk" not in lost_ticket
    assert store.get(items.stack_pk(lost), "STACK")["is_locked"] is True
    pass_window(world)
    drain(url)
    assert world.chain.payments == [("claim_funds", won, 900)]
    rows = {r["stack_small_id"]: r for r in claimed()}
    assert (rows[won]["attestation_status"], rows[won]["settlement_complete"]) == ("Complete", True)
    assert (rows[lost]["attestation_status"], rows[lost]["settlement_complete"]) == ("Failed", False)
    assert chain_events.apply([resolved_event(world, won, True, 0)]) == 0  # a replayed event changes nothing


# --- confidential path ----------------------------------------------------------------------------------------------


def test_confidential_claim_through_the_api_is_one_transaction(world: World):
    stack = world.stack(world.confidential_task)
    world.report(stack, 300)
    reply = claim_stacks({"stack_small_ids": [stack]})
    assert reply.status == 200 and set(reply.body) == {"tx_digest"}
    [row] = claimed()
    assert row["settlement_complete"] is True and row["num_claimed_compute_units"] == 300
    assert world.chain.payments == [("claim_funds_for_stacks", stack, 300)]
    again = claim_stacks({"stack_small_ids": [stack]})
    assert again.status == 409 and "already claimed" in again.body["error"]


def test_usage_past_95_percent_auto_claims_through_the_queue(world: World, aws_env: dict[str, Any]):
    stack = world.stack(world.confidential_task)
    lock(stack, "L1", 100)
    first = world.report(stack, 900)
    assert first.status == 200 and first.body["claim_requested"] is False
    # 950/1000 with the lock still in flight: no claim yet; its own report triggers it
    second = world.report(stack, 50, lock_id="L1")
    assert second.status == 200 and second.body["claim_requested"] is True
    assert second.body["already_computed_units"] == 950 and second.body["locked_compute_units"] == 0
    assert drain(aws_env["SETTLEMENT_QUEUE_URL"]) == 1
    assert world.chain.payments == [("claim_funds_for_stacks", stack, 950)]
    [row] = claimed()
    assert row["settlement_complete"] is True
    assert store.get(items.stack_pk(stack), "STACK")["is_claimed"] is True


def test_a_rejected_confidential_claim_fails_and_frees_the_stack(world: World, aws_env: dict[str, Any]):
    stack = world.stack(world.confidential_task)
    world.chain.stacks[stack]["claimed"] = True  # the chain will refuse the claim
    assert world.report(stack, 950).body["claim_requested"] is True
    assert store.get(items.stack_pk(stack), "STACK")["is_locked_for_claim"] is True
    assert drain(aws_env["SETTLEMENT_QUEUE_URL"]) == 1  # handled, not retried until the DLQ
    ticket = tickets.ticket(stack)
    assert ticket["settlement_status"] == tickets.FAILED and "EStackNotClaimable" in ticket["failure_reason"]
    item = store.get(items.stack_pk(stack), "STACK")
    assert item["is_locked_for_claim"] is False and item["in_settle_period"] is False
    assert claimed()[0]["attestation_status"] == "Failed"

    world.chain.stacks[stack]["claimed"] = False
    reply = claim_stacks({"stack_small_ids": [stack]})  # a new claim replaces the failed ticket
    assert reply.status == 200 and world.chain.payments == [("claim_funds_for_stacks", stack, 950)]
    assert claimed()[0]["settlement_complete"] is True


def test_usage_replay_counts_once_and_bad_signatures_are_rejected(world: World):
    stack = world.stack(world.confidential_task)
    lock(stack, "L1", 200)
    assert world.report(stack, 150, request_id="r1", lock_id="L1").status == 200
    replay = world.report(stack, 150, request_id="r1", lock_id="L1")
    assert replay.status == 200 and replay.body["replayed"] is True and replay.body["already_computed_units"] == 150
    item = store.get(items.stack_pk(stack), "STACK")
    assert (item["already_computed_units"], item["locked_compute_units"], item["available_units"]) == (150, 0, 850)

    digest = usage.usage_digest(stack, 1, 10, None, "r2")
    forged = {
        "data": {"stack_small_id": stack, "node_small_id": 1, "num_compute_units": 10, "request_id": "r2"},
        "signature": world.keys[2].sign(digest),  # node 2's key does not speak for node 1
    }
    reply = invoke("proxy_usage_report", http_event("POST", "/proxy/v1/stacks/usage", body=forged, tenant=None))
    assert reply.status == 400 and reply.body["error"]["code"] == "REQUEST_ERROR"
    too_much = world.report(stack, 851)
    assert too_much.status == 409
    assert store.get(items.stack_pk(stack), "STACK")["already_computed_units"] == 150


def test_usage_invariant_holds_over_a_random_sequence(world: World):
    import random

    rng = random.Random(7)
    stack = world.stack(world.sampling_task, units=5000)
    open_locks: dict[str, int] = {}
    for i in range(60):
        item = store.get(items.stack_pk(stack), "STACK")
        if rng.random() < 0.5 and item["available_units"] > 0:
            m = rng.randint(1, min(400, item["available_units"]))
            lock(stack, f"L{i}", m)
            open_locks[f"L{i}"] = m
        else:
            lock_id = rng.choice([*open_locks, None]) if open_locks else None
            n = rng.randint(0, 500)
            reply = world.report(stack, n, lock_id=lock_id, request_id=f"r{i}")
            assert reply.status in (200, 409)
            if reply.status == 200 and lock_id:
                open_locks.pop(lock_id)
            if rng.random() < 0.2:  # a replay never counts twice
                again = world.report(stack, n, lock_id=lock_id, request_id=f"r{i}")
                assert again.status in (200, 409)
        item = store.get(items.stack_pk(stack), "STACK")
        total, done, locked = item["num_compute_units"], item["already_computed_units"], item["locked_compute_units"]
        assert done + locked <= total and item["available_units"] == total - done - locked
        assert locked == sum(open_locks.values())


# --- faults ----------------------------------------------------------------------------------------------------


def test_duplicate_message_in_one_batch_attests_once(world: World, aws_env: dict[str, Any]):
    stack = world.stack(world.sampling_task)
    world.report(stack, 400)
    claim_stacks({"stack_small_ids": [stack]})
    assert run_worker(job_event(stack, stack, stack)) == set()
    assert world.chain.calls["submit_attestation"] == 1
    assert tickets.ticket(stack)["received_attestations"] == 1


def test_a_batch_returns_only_its_failed_records_to_the_queue(world: World, aws_env: dict[str, Any]):
    first, second = world.stack(world.sampling_task), world.stack(world.sampling_task)
    for stack in (first, second):
        world.report(stack, 400)
        claim_stacks({"stack_small_ids": [stack]})
    event = job_event(first, 9999, second)  # no ticket for stack 9999
    assert run_worker(event) == {event["Records"][1]["messageId"]}
    assert world.chain.calls["submit_attestation"] == 2  # the good ones were attested, each once
    assert {tickets.ticket(s)["received_attestations"] for s in (first, second)} == {1}


def test_a_lost_message_is_re_enqueued_by_the_sweeper(world: World, aws_env: dict[str, Any]):
    url = aws_env["SETTLEMENT_QUEUE_URL"]
    stack = world.stack(world.sampling_task)
    world.report(stack, 400)
    claim_stacks({"stack_small_ids": [stack]})
    _sqs().purge_queue(QueueUrl=url)  # the message is gone before any worker saw it
    sweeper = load_function("schedule_settlement_sweeper")
    assert sweeper.lambda_handler({}, Context())["requeued"] == 0  # not stalled yet
    clock.advance(settings().settlement_stall_seconds + 1)
    assert sweeper.lambda_handler({}, Context()) == {"requeued": 1, "failed": 0}
    assert drain(url) >= 1
    assert tickets.ticket(stack)["received_attestations"] == 1
    assert world.chain.payments == [("claim_funds", stack, 400)]  # the window passed meanwhile


def test_sweeper_fails_a_settlement_whose_time_ran_out(world: World, aws_env: dict[str, Any]):
    store.transact([store.delete(items.operator_key_pk(world.keys[2].address), "KEY")])  # nobody will ever attest
    stack = world.stack(world.sampling_task)
    claim_stacks({"stack_small_ids": [stack]})
    drain(aws_env["SETTLEMENT_QUEUE_URL"])
    assert tickets.ticket(stack)["settlement_status"] == tickets.ATTESTING
    clock.advance(settings().settlement_deadline_seconds + 1)
    assert load_function("schedule_settlement_sweeper").lambda_handler({}, Context())["failed"] == 1
    ticket = tickets.ticket(stack)
    assert ticket["settlement_status"] == tickets.FAILED and ticket["failure_reason"] == "settlement deadline passed"
    [row] = claimed()
    assert row["attestation_status"] == "Failed"


def test_worker_killed_after_the_chain_call_never_calls_twice(world: World, aws_env: dict[str, Any]):
    stack = world.stack(world.sampling_task)
    world.report(stack, 400)
    claim_stacks({"stack_small_ids": [stack]})
    world.chain.crash_after["submit_attestation"] = 1  # the transaction lands, the worker never hears back
    assert run_worker(job_event(stack)) != set()
    assert run_worker(job_event(stack)) != set()  # a retry inside the lease waits
    assert world.chain.calls["submit_attestation"] == 1
    # after the lease the retry catches up on chain events instead of re-submitting; the window has passed
    # by then, so it goes on to claim, and that call is killed too
    world.chain.crash_after["claim_funds"] = 1
    clock.advance(settings().settlement_step_lease_seconds + 1)
    assert run_worker(job_event(stack)) != set()
    assert world.chain.calls["submit_attestation"] == 1
    assert tickets.ticket(stack)["received_attestations"] == 1
    clock.advance(settings().settlement_step_lease_seconds + 1)
    assert run_worker(job_event(stack)) == set()
    assert world.chain.calls["claim_funds"] == 1 and world.chain.payments == [("claim_funds", stack, 400)]
    assert claimed()[0]["settlement_complete"] is True


def test_worker_raising_before_the_digest_is_recorded_reuses_it(world: World, monkeypatch: pytest.MonkeyPatch):
    stack = world.stack(world.sampling_task)
    world.report(stack, 400)
    claim_stacks({"stack_small_ids": [stack]})
    real_apply = chain_events.apply
    calls = {"n": 0}

    def flaky(events: Any) -> int:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("killed after recording the digest, before projecting")
        return real_apply(events)

    monkeypatch.setattr(chain_events, "apply", flaky)
    # the events' effects do not ride with the step's own write (as when the poller recorded one of them first)
    monkeypatch.setattr(chain_events, "effects", lambda events: ([], []))
    assert run_worker(job_event(stack)) != set()
    assert run_worker(job_event(stack)) == set()  # the step is done: its digest is re-used, no second call
    assert world.chain.calls["submit_attestation"] == 1
    chain_events.poll(world.chain)  # the poller projects the attestation the worker did not
    assert tickets.ticket(stack)["received_attestations"] == 1


def test_poison_message_ends_in_the_dlq(world: World, aws_env: dict[str, Any]):
    url, dlq = aws_env["SETTLEMENT_QUEUE_URL"], aws_env["SETTLEMENT_DLQ_URL"]
    attrs = _sqs().get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])["Attributes"]
    max_receives = int(json.loads(attrs["RedrivePolicy"])["maxReceiveCount"])
    stack = world.stack(world.confidential_task)
    world.report(stack, 100)
    _sqs().send_message(QueueUrl=url, MessageBody='{"kind": "settle", "stack_small_id": "x"}')
    _sqs().send_message(QueueUrl=url, MessageBody=json.dumps(jobs.job(999, "claim")))  # no such ticket
    # receive with visibility 0 so a failed message is back at once (as after its visibility timeout)
    for _ in range(max_receives + 2):
        drain(url, visibility=0, rounds=1)
    assert _sqs().receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages") is None
    dead = _sqs().receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages", [])
    assert len(dead) == 2
