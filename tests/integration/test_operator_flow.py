"""Operators on the local ledger: real signed transactions, projected by the event poller; node address
registration signed with each Sui scheme, exactly as the Atoma proxy verifies it."""

from __future__ import annotations

import base64

import pytest

from nodeplane.chain.keys import Keypair
from nodeplane.chain.signatures import registration_digest
from nodeplane.network import chain_events
from nodeplane_local.harness.lambda_events import http_event, invoke
from tests.support.operators import daemon, operator_with_node


def test_register_and_subscribe_with_real_transactions(ledger):
    task = ledger.admin_call("create_task_entry", [0, "llama-70b", 1, None, True])
    assert task.ok
    assert chain_events.poll(ledger)["applied"] >= 1  # the task reaches the projection through the poller
    _key, node = operator_with_node()
    sub = daemon(
        "daemon_task_subscribe",
        "POST",
        "/daemon/task_subscribe",
        {"task_small_id": 1, "price_per_one_million_compute_units": 250},
    )
    assert sub.status == 200 and len(sub.body["tx_digest"]) >= 43
    # the poller reads the ledger's events from its cursor; re-reading changes nothing
    first = chain_events.poll(ledger)
    assert first["seen"] >= 2 and first["applied"] == 0  # already projected from the transactions themselves
    assert chain_events.poll(ledger) == {"seen": 0, "applied": 0}
    subs = daemon("daemon_subscriptions", "GET", "/daemon/subscriptions").body
    assert subs == [
        {
            "node_small_id": node,
            "task_small_id": 1,
            "price_per_one_million_compute_units": 250,
            "max_num_compute_units": 1_000_000,
            "valid": True,
        }
    ]
    tasks = daemon("daemon_tasks", "GET", "/daemon/tasks").body
    assert tasks[0]["model_name"] == "llama-70b" and tasks[0]["security_level"] == 1
    upd = daemon(
        "daemon_task_update_subscription",
        "POST",
        "/daemon/task_update_subscription",
        {"task_small_id": 1, "price_per_one_million_compute_units": 300},
    )
    assert upd.status == 200
    assert (
        daemon("daemon_subscriptions", "GET", "/daemon/subscriptions").body[0]["price_per_one_million_compute_units"]
        == 300
    )
    # caller mistakes are 4xx in the daemon envelope
    for body, status in (
        ({"task_small_id": 99, "price_per_one_million_compute_units": 1}, 404),
        ({"task_small_id": 1, "price_per_one_million_compute_units": 0}, 400),
        ({"task_small_id": 1, "price_per_one_million_compute_units": 5}, 409),
    ):
        reply = daemon("daemon_task_subscribe", "POST", "/daemon/task_subscribe", body)
        assert reply.status == status and isinstance(reply.body["error"], str), reply.body
    other = daemon(
        "daemon_task_subscribe",
        "POST",
        "/daemon/task_subscribe",
        {"task_small_id": 1, "node_small_id": node, "price_per_one_million_compute_units": 5},
        tenant="op-2",
    )
    assert other.status == 403
    off = daemon("daemon_task_unsubscribe", "POST", "/daemon/task_unsubscribe", {"task_small_id": 1})
    assert off.status == 200
    assert daemon("daemon_task_unsubscribe", "POST", "/daemon/task_unsubscribe", {"task_small_id": 1}).status == 409


def register_address(node: int, url: str, country: str, signature: str):
    body = {"data": {"country": country, "node_small_id": node, "public_address": url}, "signature": signature}
    return invoke("proxy_register_node", http_event("POST", "/proxy/v1/nodes", body=body, tenant=None))


@pytest.mark.parametrize("scheme", ["ed25519", "secp256k1", "secp256r1"])
def test_signed_address_registration_for_each_scheme(ledger, scheme):
    key, node = operator_with_node(scheme)
    url = "https://node.example:3000/ü"
    ok = register_address(node, url, "PT", key.sign_hashed(registration_digest(node, url, "PT")))
    assert ok.status == 200 and ok.body == {"message": "Success"}
    tampered = register_address(node, url, "DE", key.sign_hashed(registration_digest(node, url, "PT")))
    # seed 000, create: "`InvalidBody` - If: ... The signature is invalid"
    assert tampered.status == 400 and tampered.body["error"]["code"] == "InvalidBody"
    stranger = Keypair.generate(scheme)
    wrong = register_address(node, url, "PT", stranger.sign_hashed(registration_digest(node, url, "PT")))
    assert wrong.status == 400
    unknown = register_address(999, url, "PT", key.sign_hashed(registration_digest(999, url, "PT")))
    assert unknown.status == 404 and unknown.body["error"]["code"] == "NOT_FOUND"
    garbage = register_address(node, url, "PT", base64.b64encode(b"\x09" * 97).decode())
    assert garbage.status == 400


def test_the_ledger_refuses_a_transaction_signed_by_someone_else(ledger):
    from nodeplane.chain.transactions import CallSpec
    from nodeplane.network.chain_tx import ChainFailure, Needs

    key, node = operator_with_node()
    thief = Keypair.generate("ed25519")

    class Forger:
        address = key.address

        @staticmethod
        def sign_transaction(tx: bytes) -> str:
            return thief.sign_transaction(tx)

    with pytest.raises(ChainFailure, match="refused"):
        ledger._atoma(Forger(), Needs(serialise=True), lambda i: [CallSpec("register_node_entry")])
    # nothing was applied, and the operator's coins and badge are free for its next transaction
    again = daemon("daemon_node_register", "POST", "/daemon/nodes/register")
    assert again.status == 200 and again.body["node_small_id"] == node + 1, again.body
