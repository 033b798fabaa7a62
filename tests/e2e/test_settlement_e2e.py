"""Settlement over real HTTP on the local runtime and its real local ledger: a client's stack is used, the node
claims it, the sampled attestation node attests, the settlement completes and the funds are claimed, with every
step read back from `GET /daemon/claimed_stacks`; a disagreeing attestation ends in a dispute and its resolution;
a confidential stack settles directly through its claim. The ledger's events and coins prove each payment
happened exactly once.

The runtime here has its own environment: a 1-second settlement window and a ledger that always samples an
attestation node (the contract's 1% would leave the attestation path unexercised). The ledger's epoch only turns
with `nodeplane-local admin advance-epoch`, so "the dispute window is still open" is a state, not a race.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from nodeplane.chain.keys import Keypair
from nodeplane.chain.ledger import LocalLedger
from nodeplane.chain.transactions import CallSpec, ObjectRef, build_atoma_transaction
from nodeplane.network import items
from nodeplane.network.settlement import proofs
from nodeplane.network.usage import usage_digest
from nodeplane_local.sui_rpc.service import connect
from tests.support.runtime import LocalRuntime

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("settlement_e2e")]

PRICE = 1_000_000  # per one million compute units: one USDC base unit per compute unit
STACK_UNITS = 1_000_000
SAMPLING_COST = PRICE * STACK_UNITS // 1_000_000 * 1212 // 1000  # the contract's charge at security level 2
CONFIDENTIAL_MODEL = "e2e/settle-confidential"
SEED_FIELDS = {
    "stack_small_id",
    "stack_id",
    "selected_node_id",
    "num_claimed_compute_units",
    "settlement_time",
    "attestation_status",
    "requested_attestation_nodes",
    "received_attestations",
    "required_attestations",
    "settlement_complete",
}
OP_A, OP_B = "operator-a", "operator-b"


def sampling_fee(units: int) -> int:
    return units * PRICE * 1200 // (1_000_000 * 1000)


# --- plumbing ------------------------------------------------------------------------------------------------------


def admin(rt: LocalRuntime, *args: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "nodeplane_local", "admin", "--data-dir", str(rt.data_dir), *args],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def call(rt: LocalRuntime, tenant: str | None, method: str, path: str, body: Any = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {rt.token(tenant)}"} if tenant else {}
    return httpx.request(method, f"{rt.base_url}{path}", json=body, headers=headers, timeout=60)


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def refused(response: httpx.Response, status: int) -> str:
    """A /daemon error: ``{"error": "<text>"}``."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert isinstance(error, str)
    return error


def proxy_refused(response: httpx.Response, status: int, code: str) -> None:
    """A /proxy error: the Atoma proxy's envelope ``{"error": {"code", "message"}}``."""
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code


def balance(rt: LocalRuntime, user: str) -> int:
    """The user's USDC balance as DynamoDB holds it."""
    key = {"pk": {"S": items.balance_pk(user)}, "sk": {"S": items.BALANCE_SK}}
    item = rt.client("dynamodb").get_item(TableName=rt.info()["env"]["TABLE_NAME"], Key=key, ConsistentRead=True)
    return int(item["Item"]["balance"]["N"])


def poll_chain(rt: LocalRuntime) -> None:
    httpx.post(f"{rt.base_url}/local/schedules/ChainEventsPollerFunction", timeout=60).raise_for_status()


def wait_for(read: Callable[[], Any], done: Callable[[Any], bool], what: str, attempts: int = 150) -> Any:
    """Poll until ``done(read())``; a bounded number of reads, never a wall-clock assertion."""
    value = None
    for _ in range(attempts):
        value = read()
        if done(value):
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what} never happened; last seen: {value!r}")


def queue_idle(rt: LocalRuntime) -> None:
    """Every settlement job sent so far was processed: nothing waits, nothing is in a worker's hands."""
    sqs, url = rt.client("sqs"), rt.info()["env"]["SETTLEMENT_QUEUE_URL"]
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]

    def counts() -> list[int]:
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
        return [int(attrs[n]) for n in names]

    wait_for(counts, lambda c: c == [0, 0], "the settlement queue draining")


def claimed(rt: LocalRuntime, tenant: str, node: int | None = None) -> list[dict[str, Any]]:
    path = "/daemon/claimed_stacks" if node is None else f"/daemon/claimed_stacks/{node}"
    rows: list[dict[str, Any]] = ok(call(rt, tenant, "GET", path))
    for row in rows:
        assert set(row) == SEED_FIELDS
        datetime.fromisoformat(row["settlement_time"])  # ISO 8601
    return rows


def row_of(rt: LocalRuntime, stack: int, node: int, tenant: str = OP_A) -> dict[str, Any] | None:
    """The stack's row in the node's view (GET /daemon/claimed_stacks/{node})."""
    mine = [r for r in claimed(rt, tenant, node) if r["stack_small_id"] == stack]
    assert len(mine) <= 1
    return mine[0] if mine else None


def in_all_nodes_view(rt: LocalRuntime, row: dict[str, Any] | None, tenant: str = OP_A) -> None:
    """A row read while nothing moves is the same in the operator's view of all its nodes."""
    assert row is not None and row in claimed(rt, tenant)


def wait_row(rt: LocalRuntime, stack: int, node: int, done: Callable[[dict[str, Any]], bool], what: str) -> Any:
    return wait_for(lambda: row_of(rt, stack, node), lambda r: r is not None and done(r), what)


def report_usage(
    rt: LocalRuntime, key: Keypair, stack: int, node: int, units: int, request_id: str, lock_id: str | None = None
) -> httpx.Response:
    """The node's signed usage report: the BLAKE2b-256 digest of the canonical data, signed with its Sui key."""
    data: dict[str, Any] = {"stack_small_id": stack, "node_small_id": node, "num_compute_units": units}
    if lock_id is not None:
        data["lock_id"] = lock_id  # the lock the client was granted (X-Lock-Id), handed to the node
    data["request_id"] = request_id
    signature = key.sign_hashed(usage_digest(stack, node, units, lock_id, request_id))
    return call(rt, None, "POST", "/proxy/v1/stacks/usage", {"data": data, "signature": signature})


# --- the ledger, read (and, for an operator running its own daemon, written) directly -----------------------------


class Chain:
    def __init__(self, rt: LocalRuntime) -> None:
        # the runtime's sampling rate, for the transactions an operator's own daemon sends here
        permille = int(rt.extra_env.get("LEDGER_CROSS_VALIDATION_PERMILLE", "10"))
        if rt.sui_rpc:  # the stand-in's ledger, in its own DynamoDB Local under <data-dir>/sui-rpc
            self.ledger = connect(rt.data_dir, cross_validation_permille=permille)
            return
        env = rt.info()["env"]
        # the admin address only matters for genesis, which the runtime did
        self.ledger = LocalLedger(
            rt.client("dynamodb"),
            env["LEDGER_TABLE_NAME"],
            admin_address="0x0",
            cross_validation_probability_permille=permille,
        )

    def events(self, name: str, stack: int | None = None) -> list[dict[str, Any]]:
        out, cursor = [], None
        while True:
            page, cursor = self.ledger.events_since(cursor, 200)
            out += page
            if not page:
                break
        return [
            e
            for e in out
            if e["type"].endswith(f"::db::{name}")
            and (stack is None or e["parsedJson"]["stack_small_id"] == {"inner": str(stack)})
        ]

    def usdc(self, address: str) -> int:
        return sum(c["fields"]["balance"] for c in self.ledger.owned_objects(address, "::usdc::USDC>"))

    def send(self, key: Keypair, function: str, pure: list[Any], objects: list[ObjectRef]) -> dict[str, Any]:
        """A transaction the operator signs itself, as its own node daemon would on Sui."""
        if not self.ledger.owned_objects(key.address, "::sui::SUI>"):
            self.ledger.faucet(key.address, sui=10**12)
        gas = self.ledger.object_ref(self.ledger.owned_objects(key.address, "::sui::SUI>")[0]["object_id"])
        info = self.ledger.info()
        tx = build_atoma_transaction(
            package=info["package"],
            atoma_db=self.ledger.shared_db(),
            sender=key.address,
            calls=[CallSpec(function, pure=pure, objects=objects)],
            gas_payment=[gas],
            gas_price=self.ledger.reference_gas_price(),
            random_initial_shared_version=info["random_initial_shared_version"],
        )
        result = self.ledger.submit(tx, [key.sign_transaction(tx)])
        assert result.status == "success", result.error
        return result.events[0]["parsedJson"]


# --- the network ---------------------------------------------------------------------------------------------------


class Network:
    """Operator A (its key with nodeplane) runs nodes A1 and A2; operator B runs B1 with its own daemon and
    gives nodeplane its key only when it first needs to attest.

    | task         | level | subscribers (price)  | stacks bought at PRICE go to A1; the attester is |
    |--------------|-------|----------------------|--------------------------------------------------|
    | sampling     | 2     | A1 (P), B1 (2P)      | B1, attesting through POST /daemon/attestations  |
    | disputed     | 2     | A1 (P), A2 (2P)      | A2, attested by the settlement worker            |
    | confidential | 1     | A1 (P), key published |                                                 |
    """

    def __init__(self, rt: LocalRuntime) -> None:
        self.rt, self.chain = rt, Chain(rt)
        self.sampling = admin(rt, "create-task", "--model", "e2e/settle-sampling", "--security-level", "2")
        self.disputed = admin(rt, "create-task", "--model", "e2e/settle-disputed", "--security-level", "2")
        self.confidential = admin(rt, "create-task", "--model", CONFIDENTIAL_MODEL, "--security-level", "1")
        admin(rt, "rotate-keys")

        self.key_a = Keypair.generate("ed25519")
        assert ok(call(rt, OP_A, "POST", "/daemon/keys", {"keystore": self.key_a.to_keystore()}), 201)
        self.a1 = ok(call(rt, OP_A, "POST", "/daemon/nodes/register"))["node_small_id"]
        self.a2 = ok(call(rt, OP_A, "POST", "/daemon/nodes/register"))["node_small_id"]
        x25519 = X25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.a1_public_key = base64.b64encode(x25519).decode()
        ok(call(rt, OP_A, "POST", f"/daemon/nodes/{self.a1}/public_key", {"public_key": self.a1_public_key}))
        for task, node, price in (
            (self.sampling, self.a1, PRICE),
            (self.disputed, self.a1, PRICE),
            (self.confidential, self.a1, PRICE),
            (self.disputed, self.a2, 2 * PRICE),
        ):
            body = {"task_small_id": task["task_small_id"], "price_per_one_million_compute_units": price}
            ok(call(rt, OP_A, "POST", "/daemon/task_subscribe", body | {"node_small_id": node}))

        self.key_b = Keypair.generate("secp256k1")
        registered = self.chain.send(self.key_b, "register_node_entry", [], [])
        self.b1 = int(registered["node_small_id"]["inner"])
        badge = self.chain.ledger.object_ref(registered["badge_id"])
        self.chain.send(self.key_b, "subscribe_node_to_task", [self.sampling["task_small_id"], 2 * PRICE], [badge])
        poll_chain(rt)  # B1 reaches nodeplane through the chain events, like any node registered elsewhere

    def buy(self, task: dict[str, Any], user: str) -> tuple[int, str]:
        bought = admin(
            self.rt, "buy-stack", "--user", user, "--task", str(task["task_small_id"]), "--price", str(PRICE)
        )
        assert bought["selected_node_id"] == self.a1  # the only subscriber at or below the price cap
        [created] = self.chain.events("StackCreatedEvent", bought["stack_small_id"])
        return bought["stack_small_id"], created["parsedJson"]["stack_id"]

    def own_daemon_settles(self, stack: int, node: int, units: int) -> None:
        """Operator A's own node daemon calls try_settle_stack on chain, outside nodeplane."""
        [badge] = [
            b
            for b in self.chain.ledger.owned_objects(self.key_a.address, "::db::NodeBadge")
            if int(b["fields"]["node_small_id"]) == node
        ]
        proof, leaf = proofs.committed_proof(stack, units), proofs.leaf(stack, units, 0)
        badge_ref = self.chain.ledger.object_ref(badge["object_id"])
        self.chain.send(self.key_a, "try_settle_stack", [stack, units, proof, leaf], [badge_ref])

    @property
    def purchaser(self) -> str:
        """The wallet that buys stacks on chain, so the one refunds go to."""
        return str(self.chain.events("StackCreatedEvent")[0]["parsedJson"]["owner"])


# session scope: under xdist, items of other modules may run between these, and a module fixture would start a
# second runtime for the rest of them
@pytest.fixture(scope="session", params=["ledger", "sui_rpc"])
def settlement_runtime(request: pytest.FixtureRequest) -> Iterator[LocalRuntime]:
    """Both modes: the ledger in process, and every function talking GraphQL to a stand-in."""
    env = {"SETTLEMENT_WINDOW_SECONDS": "1", "LEDGER_CROSS_VALIDATION_PERMILLE": "1000"}
    with LocalRuntime(extra_env=env, sui_rpc=request.param == "sui_rpc") as runtime:
        yield runtime


@pytest.fixture(scope="session")
def settlement_network(settlement_runtime: LocalRuntime) -> Network:
    return Network(settlement_runtime)


@pytest.fixture
def rt(settlement_runtime: LocalRuntime) -> LocalRuntime:
    return settlement_runtime


@pytest.fixture
def net(settlement_network: Network) -> Network:
    return settlement_network


# --- scenarios -----------------------------------------------------------------------------------------------------


def test_sampled_settlement_attests_completes_and_pays_once(rt: LocalRuntime, net: Network) -> None:
    client = "client-sampling"
    admin(rt, "credit", "--user", client, "--amount", str(SAMPLING_COST))
    stack, stack_id = net.buy(net.sampling, client)
    assert admin(rt, "credit", "--user", client, "--amount", "1")["balance"] == 1  # paid the chain's price once

    # the node reports its usage; a replay counts once
    used = ok(report_usage(rt, net.key_a, stack, net.a1, 400, "sampled-1"))
    assert (used["already_computed_units"], used["replayed"]) == (400, False)
    again = ok(report_usage(rt, net.key_a, stack, net.a1, 400, "sampled-1"))
    assert (again["already_computed_units"], again["replayed"]) == (400, True)
    assert row_of(rt, stack, net.a1) is None  # nothing claimed yet

    # the node's operator claims: try_settle_stack on chain samples B1 as the attestation node
    digest = ok(call(rt, OP_A, "POST", "/daemon/claim_stacks", {"stack_small_ids": [stack]}))["tx_digest"]
    [try_settle] = net.chain.events("StackTrySettleEvent", stack)
    assert try_settle["id"]["txDigest"] == digest
    queue_idle(rt)  # the worker saw the job and could not attest: nodeplane holds no key for B1
    row = row_of(rt, stack, net.a1)
    in_all_nodes_view(rt, row)
    assert row is not None
    settlement_time = row.pop("settlement_time")
    assert row == {
        "stack_small_id": stack,
        "stack_id": stack_id,
        "selected_node_id": net.a1,
        "num_claimed_compute_units": 400,
        "attestation_status": "Pending",
        "requested_attestation_nodes": f"[{net.b1}]",
        "received_attestations": 0,
        "required_attestations": 1,
        "settlement_complete": False,
    }

    # B1's operator attests through the daemon API once nodeplane may sign for it
    refused(call(rt, OP_B, "POST", "/daemon/attestations", {"stack_small_ids": [stack]}), 403)
    assert ok(call(rt, OP_B, "POST", "/daemon/keys", {"keystore": net.key_b.to_keystore()}), 201)
    attested = ok(call(rt, OP_B, "POST", "/daemon/attestations", {"stack_small_ids": [stack]}))
    [attestation] = net.chain.events("NewStackSettlementAttestationEvent", stack)
    [settled] = net.chain.events("StackSettlementTicketEvent", stack)
    assert attested == {"tx_digests": [attestation["id"]["txDigest"]]} == {"tx_digests": [settled["id"]["txDigest"]]}
    row = row_of(rt, stack, net.a1)
    assert row is not None and row["settlement_time"] == settlement_time
    assert (row["attestation_status"], row["received_attestations"], row["required_attestations"]) == ("Complete", 1, 1)
    assert row["settlement_complete"] is False
    assert claimed(rt, OP_B) == []  # B1 attested but sold nothing
    refused(call(rt, OP_B, "GET", f"/daemon/claimed_stacks/{net.a1}"), 404)

    # the chain's epoch has not turned: its dispute window is open and nothing can be claimed
    refused(call(rt, OP_A, "POST", "/daemon/claim_funds", {"stack_small_ids": [stack]}), 409)
    assert net.chain.events("StackSettlementTicketClaimedEvent", stack) == []
    node_before, owner_before = net.chain.usdc(net.key_a.address), net.chain.usdc(net.purchaser)

    admin(rt, "advance-epoch")
    row = wait_row(rt, stack, net.a1, lambda r: r["settlement_complete"], "the worker claiming the settled stack")
    assert (row["attestation_status"], row["received_attestations"], row["num_claimed_compute_units"]) == (
        "Complete",
        1,
        400,
    )
    [paid] = net.chain.events("StackSettlementTicketClaimedEvent", stack)
    claim = ok(call(rt, OP_A, "POST", "/daemon/claim_funds", {"stack_small_ids": [stack]}))
    assert claim == {"tx_digest": paid["id"]["txDigest"]}  # the claim that happened, not a second one
    refund = SAMPLING_COST - sampling_fee(400)
    assert int(paid["parsedJson"]["user_refund_amount"]) == refund
    assert net.chain.usdc(net.key_a.address) - node_before == sampling_fee(400)
    assert net.chain.usdc(net.purchaser) - owner_before == refund
    assert len(net.chain.events("StackSettlementTicketClaimedEvent", stack)) == 1
    in_all_nodes_view(rt, row_of(rt, stack, net.a1))
    # usage after the claim is refused: the stack is settled
    proxy_refused(report_usage(rt, net.key_a, stack, net.a1, 1, "sampled-2"), 409, "CONFLICT")


def test_disagreeing_attestation_disputes_and_each_resolution_shows(rt: LocalRuntime, net: Network) -> None:
    client = "client-disputed"
    admin(rt, "credit", "--user", client, "--amount", str(2 * SAMPLING_COST))
    won, _ = net.buy(net.disputed, client)
    lost, _ = net.buy(net.disputed, client)
    for stack in (won, lost):
        ok(report_usage(rt, net.key_a, stack, net.a1, 400, f"disputed-{stack}"))

    # nodeplane refuses a claim above what the usage reports recorded, and says how much is claimable
    body = {"stack_small_ids": [won, lost], "num_claimed_compute_units": [900, 900]}
    error = refused(call(rt, OP_A, "POST", "/daemon/claim_stacks", body), 409)
    assert f"stack {won}: 400 compute units are claimable" in error
    assert net.chain.events("StackTrySettleEvent", won) == []
    # so A's own daemon claims 900 units straight on chain: A2's attestation (from nodeplane's count) disagrees
    for stack in (won, lost):
        net.own_daemon_settles(stack, net.a1, 900)
    poll_chain(rt)
    for stack in (won, lost):
        row = wait_row(rt, stack, net.a1, lambda r: r["received_attestations"] == 1, "the worker attesting")
        assert row["attestation_status"] == "Pending" and row["settlement_complete"] is False  # disputed
        assert (row["requested_attestation_nodes"], row["num_claimed_compute_units"]) == (f"[{net.a2}]", 900)
        [dispute] = net.chain.events("StackAttestationDisputeEvent", stack)
        assert dispute["parsedJson"]["attestation_node_id"] == {"inner": str(net.a2)}
        assert "Disputed" in refused(call(rt, OP_A, "POST", "/daemon/claim_funds", {"stack_small_ids": [stack]}), 409)
    queue_idle(rt)
    for stack in (won, lost):  # a tie (the node against one attester) waits for a decision
        row = row_of(rt, stack, net.a1)
        in_all_nodes_view(rt, row)
        assert row is not None and (row["attestation_status"], row["settlement_complete"]) == ("Pending", False)

    admin(rt, "advance-epoch")
    node_before, owner_before = net.chain.usdc(net.key_a.address), net.chain.usdc(net.purchaser)
    assert admin(rt, "resolve-dispute", "--stack", str(won), "--outcome", "node")["ok"] is True
    assert admin(rt, "resolve-dispute", "--stack", str(lost), "--outcome", "attesters")["settlement_status"] == "Failed"

    row = wait_row(rt, won, net.a1, lambda r: r["settlement_complete"], "the won dispute being claimed")
    assert (row["attestation_status"], row["num_claimed_compute_units"]) == ("Complete", 900)
    row = row_of(rt, lost, net.a1)
    in_all_nodes_view(rt, row)
    assert row is not None
    assert (row["attestation_status"], row["settlement_complete"]) == ("Failed", False)
    refused(call(rt, OP_A, "POST", "/daemon/claim_funds", {"stack_small_ids": [lost]}), 409)

    [paid] = net.chain.events("StackSettlementTicketClaimedEvent", won)
    assert net.chain.events("StackSettlementTicketClaimedEvent", lost) == []
    [refunded] = net.chain.events("StackDisputeResolvedEvent", lost)
    assert refunded["parsedJson"]["original_is_correct"] is False
    assert int(refunded["parsedJson"]["user_refund_amount"]) == SAMPLING_COST
    assert net.chain.usdc(net.key_a.address) - node_before == sampling_fee(900)
    assert net.chain.usdc(net.purchaser) - owner_before == SAMPLING_COST + SAMPLING_COST - sampling_fee(900)
    claim = ok(call(rt, OP_A, "POST", "/daemon/claim_funds", {"stack_small_ids": [won]}))
    assert claim == {"tx_digest": paid["id"]["txDigest"]}


def test_confidential_stack_settles_directly_through_its_claim(rt: LocalRuntime, net: Network) -> None:
    client = "client-confidential"
    admin(rt, "credit", "--user", client, "--amount", str(2 * PRICE))
    granted = call(rt, client, "POST", "/proxy/v1/nodes/lock", {"model": CONFIDENTIAL_MODEL, "max_num_tokens": 500})
    lock = ok(granted)
    assert (lock["node_small_id"], lock["public_key"]) == (net.a1, net.a1_public_key) and lock["stack_entry_digest"]
    assert granted.headers["X-Lock-Units"] == "500" and int(granted.headers["X-Lock-Expires-At"]) > 0
    stack = lock["stack_small_id"]
    lock_id = granted.headers["X-Lock-Id"]
    used = ok(report_usage(rt, net.key_a, stack, net.a1, 300, f"confidential-{uuid.uuid4().hex}", lock_id))
    # the report consumed the lock it names: its 500 units are released, 300 are counted as used
    assert (used["already_computed_units"], used["locked_compute_units"]) == (300, 0)
    assert row_of(rt, stack, net.a1) is None
    node_before, owner_before = net.chain.usdc(net.key_a.address), net.chain.usdc(net.purchaser)

    claim = ok(call(rt, OP_A, "POST", "/daemon/claim_stacks", {"stack_small_ids": [stack]}))
    [paid] = net.chain.events("ClaimedStackEvent", stack)
    assert claim == {"tx_digest": paid["id"]["txDigest"]}
    row = wait_row(rt, stack, net.a1, lambda r: r["settlement_complete"], "the confidential claim")
    assert row["stack_id"] == net.chain.events("StackCreatedEvent", stack)[0]["parsedJson"]["stack_id"]
    assert {k: row[k] for k in SEED_FIELDS - {"stack_id", "settlement_time"}} == {
        "stack_small_id": stack,
        "selected_node_id": net.a1,
        "num_claimed_compute_units": 300,
        "attestation_status": "Complete",
        "requested_attestation_nodes": "[]",
        "received_attestations": 0,
        "required_attestations": 0,
        "settlement_complete": True,
    }
    in_all_nodes_view(rt, row)
    assert net.chain.usdc(net.key_a.address) - node_before == 300
    assert net.chain.usdc(net.purchaser) - owner_before == (STACK_UNITS - 300) * PRICE // 1_000_000
    assert net.chain.events("StackTrySettleEvent", stack) == []  # no attestation, no dispute window

    # the unused units come back to the client's balance, once: the poller seeing the event again changes nothing
    refund = (STACK_UNITS - 300) * PRICE // 1_000_000
    assert int(paid["parsedJson"]["user_refund_amount"]) == refund
    assert balance(rt, client) == PRICE + refund
    poll_chain(rt)
    assert balance(rt, client) == PRICE + refund

    error = refused(call(rt, OP_A, "POST", "/daemon/claim_stacks", {"stack_small_ids": [stack]}), 409)
    assert "already claimed" in error and len(net.chain.events("ClaimedStackEvent", stack)) == 1
    # the claimed stack takes no more requests: the next lock buys a new one
    proxy_refused(report_usage(rt, net.key_a, stack, net.a1, 1, "confidential-late"), 409, "CONFLICT")
    relock = ok(call(rt, client, "POST", "/proxy/v1/nodes/lock", {"model": CONFIDENTIAL_MODEL}))
    assert relock["stack_small_id"] != stack and relock["stack_entry_digest"]
