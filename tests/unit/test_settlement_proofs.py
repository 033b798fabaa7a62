"""The settlement proof scheme, the usage signing bytes and the claimed-stack shape: pure functions, no AWS."""

from __future__ import annotations

import hashlib
import json

from hypothesis import given
from hypothesis import strategies as st

from nodeplane.network import usage
from nodeplane.network.settlement import proofs, tickets

u64 = st.integers(min_value=0, max_value=2**64 - 1)


@given(stack=u64, units=u64)
def test_committed_proof_is_what_the_chain_recomputes_from_all_leaves(stack, units):
    # the chain's final check, blake2b256(leaf_0 ‖ leaf_1) == committed proof, holds for an honest count
    leaves = proofs.leaf(stack, units, 0) + proofs.leaf(stack, units, 1)
    assert hashlib.blake2b(leaves, digest_size=32).digest() == proofs.committed_proof(stack, units)


@given(stack=u64, units=u64, other=u64)
def test_a_different_unit_count_never_verifies(stack, units, other):
    if other == units:
        return
    mixed = proofs.leaf(stack, units, 0) + proofs.leaf(stack, other, 1)
    assert hashlib.blake2b(mixed, digest_size=32).digest() != proofs.committed_proof(stack, units)
    assert proofs.committed_proof(stack, other) != proofs.committed_proof(stack, units)


def test_usage_signing_bytes_have_the_documented_key_order():
    with_lock = usage.usage_message(7, 3, 120, "lk-1", "req-ü")
    expected = '{"stack_small_id":7,"node_small_id":3,"num_compute_units":120,"lock_id":"lk-1","request_id":"req-ü"}'
    assert with_lock == expected.encode()
    without = '{"stack_small_id":7,"node_small_id":3,"num_compute_units":120,"request_id":"r"}'
    assert usage.usage_message(7, 3, 120, None, "r") == without.encode()
    assert usage.usage_digest(7, 3, 120, None, "r") == hashlib.blake2b(without.encode(), digest_size=32).digest()


def test_claimed_stack_view_has_exactly_the_seed_fields():
    item = {
        "stack_small_id": 4,
        "stack_id": "0xstack4",
        "selected_node_id": 1,
        "num_claimed_compute_units": 900,
        "settlement_time": "2026-11-23T06:00:00.000Z",
        "settlement_status": tickets.ATTESTING,
        "requested_attestation_nodes": [2, 9],
        "received_attestations": 1,
        "required_attestations": 2,
        "attestations": {"n2": {"agrees": True}},
        "gsi3pk": "SETTLEMENTS",
    }
    view = tickets.claimed_stack_view(item)
    assert list(view) == [
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
    ]
    assert view["requested_attestation_nodes"] == "[2,9]" and json.loads(view["requested_attestation_nodes"]) == [2, 9]
    assert view["attestation_status"] == "Pending" and view["settlement_complete"] is False
    assert tickets.claimed_stack_view(item | {"settlement_status": tickets.COMPLETE}) | {} == view | {
        "attestation_status": "Complete",
        "settlement_complete": True,
    }
    assert tickets.claimed_stack_view(item | {"settlement_status": tickets.FAILED})["attestation_status"] == "Failed"


def test_votes_count_the_selected_node_and_each_attester():
    tie = {"attestations": {"n2": {"agrees": False}}}
    assert proofs.votes(tie) == (1, 1)
    won = {"attestations": {"n2": {"agrees": True}, "n3": {"agrees": False}}}
    assert proofs.votes(won) == (2, 1)


def test_the_proof_covers_as_many_leaves_as_the_ledger_samples_attesters():
    from nodeplane.chain import ledger

    assert proofs.EXTRA_ATTESTATION_NODES == ledger.EXTRA_ATTESTATION_NODES
