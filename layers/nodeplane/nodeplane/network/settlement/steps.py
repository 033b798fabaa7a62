"""Every chain call settlement makes, each run at most once per (stack, step).

A step item (``STACK#<stack>`` / ``STEP#<name>``) is written conditionally before the call and completed with
the digest after it; a retry re-uses the digest, and a step whose outcome is unknown (the worker died in the
call) is only re-tried after catching up on chain events and finding no effect.
"""

from __future__ import annotations

from collections.abc import Callable

from nodeplane import clock, store
from nodeplane.errors import Conflict, DomainError, NotFound, Retry
from nodeplane.network import chain_events, chainops, items
from nodeplane.network.chainops import TxOutcome
from nodeplane.network.settlement import proofs, tickets
from nodeplane.settings import settings
from nodeplane.store.dynamo import TransactionFailed


class ChainRejected(DomainError):
    """The chain aborted the transaction (the Move abort is in the detail and in ``abort``)."""

    status, title, code = 409, "Conflict", "CHAIN_ERROR"

    def __init__(self, detail: str, abort: str = "") -> None:
        super().__init__(detail)
        self.abort = abort


class StepInFlight(Retry):
    """Another worker (or request) is inside the same chain call; retry after its lease."""


def guarded_call(
    stacks: list[int],
    name: str,
    call: Callable[[], TxOutcome],
    *,
    done: Callable[[], str | None],
) -> str:
    """Run one chain call at most once per (stack, step); return its digest.

    ``done`` looks at the projected chain state and returns a digest when the effect is already there.
    """
    now = clock.now()
    begin = [
        store.put(
            {
                "pk": items.stack_pk(s),
                "sk": items.step_sk(name),
                "entity": "chain_step",
                "step": name,
                "state": "started",
                "started_at": now,
            },
            condition="attribute_not_exists(pk) OR #st = :failed",
            names={"#st": "state"},
            values={":failed": "failed"},
            label=f"step{s}",
        )
        for s in stacks
    ]
    try:
        store.transact(begin)
    except TransactionFailed as exc:
        olds = [f.old or {} for f in exc.failures]
        digests = {o.get("digest") for o in olds}
        if olds and all(o.get("state") == "done" for o in olds) and len(digests) == 1:
            return str(digests.pop())  # a retry: re-use the recorded digest
        lease = settings().settlement_step_lease_seconds
        stale = [o for o in olds if o.get("state") == "started" and now - float(o.get("started_at", 0)) >= lease]
        if len(stale) != len(olds) or not olds:
            raise StepInFlight(f"{name} for stacks {stacks} is in flight") from exc
        # the outcome of an earlier call is unknown: catch up on chain events, then decide
        chain_events.poll(chainops.ops())
        found = done()
        if found:
            _finish(stacks, name, "done", digest=found)
            return found
        takeover = [
            store.update(
                items.stack_pk(s),
                items.step_sk(name),
                "SET started_at = :now",
                condition="#st = :started AND started_at = :old",
                names={"#st": "state"},
                values={":now": now, ":started": "started", ":old": o.get("started_at")},
                label=f"step{s}",
            )
            for s, o in zip(stacks, olds, strict=False)
        ]
        try:
            store.transact(takeover)
        except TransactionFailed as again:
            raise StepInFlight(f"{name} for stacks {stacks} was taken over") from again
    outcome = call()  # an exception here leaves the step started: its outcome is reconciled after the lease
    if not outcome.ok:
        _finish(stacks, name, "failed", error=outcome.error or "aborted")
        raise ChainRejected(f"chain rejected {name}: {outcome.error}", abort=outcome.error or "aborted")
    _finish(stacks, name, "done", digest=outcome.digest)
    chain_events.apply(outcome.events)  # the poller will see them again; their markers make that a no-op
    return outcome.digest


def _finish(stacks: list[int], name: str, state: str, *, digest: str | None = None, error: str | None = None) -> None:
    store.transact(
        [
            store.update(
                items.stack_pk(s),
                items.step_sk(name),
                "SET #st = :s, digest = :d, #err = :e, finished_at = :t",
                names={"#st": "state", "#err": "error"},
                values={":s": state, ":d": digest, ":e": error, ":t": clock.iso()},
            )
            for s in stacks
        ]
    )


# --- the calls -----------------------------------------------------------------------------------------------------


def _claimed(stacks: list[int]) -> str | None:
    """The claim's digest once every one of ``stacks`` is claimed (a guarded claim's ``done`` check)."""
    found = [tickets.ticket(s) or {} for s in stacks]
    return str(found[0].get("claim_tx")) if all(i.get("is_claimed") for i in found) else None


def try_settle_stack(address: str, stack: int, node: int, units: int) -> str:
    """`try_settle_stack` of a sampling-consensus stack, committing to ``units``."""
    proof, leaf0 = proofs.committed_proof(stack, units), proofs.leaf(stack, units, 0)
    return guarded_call(
        [stack],
        "settle",
        lambda: chainops.ops().try_settle_stack(
            operator=address, node_small_id=node, stack_small_id=stack, units=units, proof=proof, leaf=leaf0
        ),
        done=lambda: (tickets.ticket(stack) or {}).get("try_settle_tx"),
    )


def attest(stack: int, node: int, address: str) -> str:
    """Submit node's attestation for the stack, computed from nodeplane's own count of the stack's units."""
    item = tickets.ticket(stack)
    if item is None:
        raise NotFound(f"stack {stack} has no settlement ticket")
    slot = tickets.slot(item, node)
    if slot is None:
        raise Conflict(f"node {node} was not sampled to attest stack {stack}")
    existing = item.get("attestations", {}).get(f"n{node}")
    if existing:
        return str(existing.get("tx", ""))
    stack_item = store.get(items.stack_pk(stack), "STACK") or {}
    # the attester's view: the units nodeplane counted from signed usage reports (or the claim if unknown)
    units = int(stack_item.get("already_computed_units", item["num_claimed_compute_units"]))
    proof, leaf_bytes = proofs.committed_proof(stack, units), proofs.leaf(stack, units, slot)

    def recorded() -> str | None:
        again = (tickets.ticket(stack) or {}).get("attestations", {}).get(f"n{node}")
        return str(again.get("tx")) if again else None

    return guarded_call(
        [stack],
        f"attest#{node}",
        lambda: chainops.ops().submit_attestation(
            operator=address, node_small_id=node, stack_small_id=stack, proof=proof, leaf=leaf_bytes
        ),
        done=recorded,
    )


def claim_settled(address: str, node: int, stacks: list[int]) -> str:
    """`claim_funds` for settled tickets of one node; a rejection is noted on each ticket."""
    try:
        return guarded_call(
            stacks,
            "claim",
            lambda: chainops.ops().claim_funds(operator=address, node_small_id=node, ticket_ids=stacks),
            done=lambda: _claimed(stacks),
        )
    except ChainRejected as exc:
        for s in stacks:
            tickets.note_error(s, exc.detail)
        raise


def claim_for_stacks(address: str, node: int, stacks: list[int], units: list[int]) -> str:
    """`claim_funds_for_stacks` for confidential stacks of one node; a rejection fails their tickets."""
    try:
        return guarded_call(
            stacks,
            "claim_stack",
            lambda: chainops.ops().claim_funds_for_stacks(
                operator=address, node_small_id=node, stack_small_ids=stacks, units=units
            ),
            done=lambda: _claimed(stacks),
        )
    except ChainRejected as exc:
        # claim_funds_for_stacks has no window to wait for, so its aborts are final for these tickets; failing
        # them also frees the stacks from is_locked_for_claim, and a later claim may open a new ticket
        for s in stacks:
            tickets.fail(s, f"claim rejected by the chain: {exc.abort}")
        raise
