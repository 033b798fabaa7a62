"""The fake chain of the tests (nodeplane_local/harness/fakes.py) keeps the `atoma::db` contract's settlement rules."""

from __future__ import annotations

from nodeplane_local.harness.fakes import FakeChain

# --- the fake keeps the contract's rules --------------------------------------------------------------------------


def test_fake_final_check_accepts_the_documented_proof_scheme():
    from nodeplane.network.settlement import proofs

    chain = FakeChain(sample=[2])
    a, b = "0x" + "01" * 32, "0x" + "02" * 32
    assert chain.add_node(a) == 1 and chain.add_node(b) == 2
    stack = chain.create_stack(chain.create_task(2), 1)
    proof, leaf0 = proofs.committed_proof(stack, 700), proofs.leaf(stack, 700, 0)
    assert chain.try_settle_stack(
        operator=a, node_small_id=1, stack_small_id=stack, units=700, proof=proof, leaf=leaf0
    ).ok
    out = chain.submit_attestation(
        operator=b, node_small_id=2, stack_small_id=stack, proof=proof, leaf=proofs.leaf(stack, 700, 1)
    )
    assert out.event("StackSettlementTicketEvent") is not None
    assert not chain.claim_funds(operator=a, node_small_id=1, ticket_ids=[stack]).ok  # window still open
    chain.epoch += 1
    assert chain.claim_funds(operator=a, node_small_id=1, ticket_ids=[stack]).ok
    assert not chain.claim_funds(operator=a, node_small_id=1, ticket_ids=[stack]).ok  # never pays twice
    assert chain.payments == [("claim_funds", stack, 700)]


def test_fake_disputes_a_disagreeing_attestation():
    from nodeplane.network.settlement import proofs

    chain = FakeChain(sample=[2])
    a, b = "0x" + "01" * 32, "0x" + "02" * 32
    chain.add_node(a), chain.add_node(b)
    stack = chain.create_stack(chain.create_task(2), 1)
    chain.try_settle_stack(
        operator=a,
        node_small_id=1,
        stack_small_id=stack,
        units=900,
        proof=proofs.committed_proof(stack, 900),
        leaf=proofs.leaf(stack, 900, 0),
    )
    out = chain.submit_attestation(
        operator=b,
        node_small_id=2,
        stack_small_id=stack,
        proof=proofs.committed_proof(stack, 400),
        leaf=proofs.leaf(stack, 400, 1),
    )
    assert out.event("StackAttestationDisputeEvent") is not None
    chain.epoch += 5
    assert chain.claim_funds(operator=a, node_small_id=1, ticket_ids=[stack]).error == "ETicketInDispute"


def test_fake_buys_from_the_drawn_node_and_can_be_told_to_fail():
    chain = FakeChain(first_stack=1000, select=lambda task, cap: 2)
    chain.add_node("0x01"), chain.add_node("0x02")
    task = chain.create_task(1)
    bought = chain.buy_stack(task_small_id=task, num_compute_units=5000, price_cap=300)
    created = bought.event("StackCreatedEvent")
    assert bought.ok and created is not None
    assert (created["stack_small_id"], created["selected_node_id"]) == ({"inner": "1000"}, {"inner": "2"})
    assert chain.stacks[1000]["node"] == 2 and chain.log[-1]["id"]["txDigest"] == bought.digest
    chain.fail = "abort"
    refused = chain.buy_stack(task_small_id=task, num_compute_units=5000, price_cap=300)
    assert not refused.ok and refused.error and 1001 not in chain.stacks
    assert chain.purchases == [{"task": task, "units": 5000, "price_cap": 300}] * 2
