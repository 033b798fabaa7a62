"""Chain events (Sui JSON shape) into DynamoDB: the one registry of what each event does, and the one way to apply
them, from a transaction nodeplane just submitted or from the poller's pages of the chain's event log.

Applying an event twice changes nothing: its id is written as a marker (``CHAINEVENT#<digest>`` / ``<seq>``) with
its effects in one transaction, conditional on not having been seen. Once an event's transaction committed, the
after-apply hooks run with it (settlement sends the job its ticket now asks for).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from nodeplane import clock, store
from nodeplane.network import items, projection
from nodeplane.network.chainops import ChainOps
from nodeplane.network.projection import event_name
from nodeplane.network.settlement import events as settlement_events
from nodeplane.store.dynamo import TransactionFailed

logger = logging.getLogger("nodeplane.chain_events")
CONFLICT_RETRIES = 8

Event = dict[str, Any]
# (event fields, event) -> (operations, fallback written instead when they fail because the effect is already there)
Handler = Callable[[dict[str, Any], Event], tuple[list[store.Op], list[store.Op] | None]]

HANDLERS: dict[str, Handler] = {
    "NodeRegisteredEvent": projection.node_registered,
    "NodeSubscribedToTaskEvent": projection.subscribed,
    "NodeSubscriptionUpdatedEvent": projection.subscription_updated,
    "NodeUnsubscribedFromTaskEvent": projection.unsubscribed,
    "TaskRegisteredEvent": projection.task_registered,
    "TaskDeprecationEvent": projection.task_deprecated,
    "NewKeyRotationEvent": projection.key_rotation,
    "NodePublicKeyCommittmentEvent": projection.public_key_committed,
    "StackCreatedEvent": projection.stack_created,
    "StackTrySettleEvent": settlement_events.try_settle,
    "NewStackSettlementAttestationEvent": settlement_events.attestation,
    "StackAttestationDisputeEvent": settlement_events.dispute,
    "StackSettlementTicketEvent": settlement_events.settled,
    "StackDisputeResolvedEvent": settlement_events.dispute_resolved,
    "StackSettlementTicketClaimedEvent": settlement_events.ticket_claimed,
    "ClaimedStackEvent": settlement_events.stack_claimed,
}

# Run with each newly applied event after its transaction committed.
AFTER_APPLY: tuple[Callable[[Event], None], ...] = (settlement_events.after_apply,)

# Consecutive events of one transaction that change the same item: their effects as one write (event, next) -> ops,
# or None to write them one by one.
PAIRS: dict[tuple[str, str], Callable[[Event, Event], list[store.Op] | None]] = {
    ("NewStackSettlementAttestationEvent", "StackSettlementTicketEvent"): settlement_events.attested_and_settled,
}
MAX_EFFECTS = 80  # writes of events that ride with another transaction (TransactWriteItems takes 100)


def _marker(event: Event) -> store.Op:
    return store.put(
        {
            "pk": items.chain_event_pk(event["id"]["txDigest"]),
            "sk": str(event["id"]["eventSeq"]),
            "type": event_name(event),
            "applied_at": clock.iso(),
        },
        condition="attribute_not_exists(pk)",
        label="marker",
    )


def _apply_one(event: Event) -> bool:
    """Write one event's effects with its marker; False when it was applied before (or is not one nodeplane keeps)."""
    handler = HANDLERS.get(event_name(event))
    if handler is None:
        return False
    ops, fallback = handler(event["parsedJson"], event)
    try:
        _transact([*ops, _marker(event)])
    except TransactionFailed as exc:
        if exc.failed("marker"):
            return False
        if fallback is None:
            raise
        # the effect is already there (e.g. the stack was written from the purchase itself)
        try:
            store.transact([*fallback, _marker(event)])
        except TransactionFailed as again:
            if again.failed("marker"):
                return False
            raise
    return True


def _key(op: store.Op) -> str:
    body = op.body
    key = body.get("Key") or {k: body["Item"][k] for k in ("pk", "sk")}
    return f"{body['TableName']}|{key['pk']}|{key['sk']}"


def effects(events: list[Event]) -> tuple[list[store.Op], list[Event]]:
    """The writes of a transaction's events (effects and markers) to go with the write that records the transaction
    itself, and the events they cover: from the first on, while they fit one transaction and touch distinct items.
    The caller applies the rest with :func:`apply` once that write committed, and runs :func:`applied` for these."""
    ops: list[store.Op] = []
    keys: set[str] = set()
    covered: list[Event] = []
    i = 0
    while i < len(events):
        group, unit = events[i : i + 1], None
        if i + 1 < len(events):
            pair = PAIRS.get((event_name(events[i]), event_name(events[i + 1])))
            if pair is not None:
                unit = pair(events[i], events[i + 1])
                group = events[i : i + 2] if unit is not None else group
        if unit is None:
            handler = HANDLERS.get(event_name(events[i]))
            if handler is None:
                covered.append(events[i])  # not one nodeplane keeps: nothing to write, as apply() would do
                i += 1
                continue
            unit, _ = handler(events[i]["parsedJson"], events[i])
        unit = [*unit, *(_marker(e) for e in group)]
        unit_keys = {_key(op) for op in unit}
        if unit_keys & keys or len(unit_keys) < len(unit) or len(ops) + len(unit) > MAX_EFFECTS:
            break
        ops += unit
        keys |= unit_keys
        covered += group
        i += len(group)
    return ops, covered


def applied(events: list[Event]) -> None:
    """The after-apply hooks of events whose effects :func:`effects` wrote with another transaction."""
    for event in events:
        if event_name(event) in HANDLERS:
            for hook in AFTER_APPLY:
                hook(event)


def _transact(ops: list[store.Op]) -> None:
    """One transaction; one that only collided with another writer (a balance being spent) is tried again, so a
    collision never turns into the fallback, which carries no money."""
    for attempt in range(CONFLICT_RETRIES):
        try:
            store.transact(ops)
            return
        except TransactionFailed as exc:
            if attempt + 1 == CONFLICT_RETRIES or any(f.code == "ConditionalCheckFailed" for f in exc.failures):
                raise
            time.sleep(0.01 * (attempt + 1))


def apply(events: Iterable[Event]) -> int:
    """Apply events in order, each once, and run the after-apply hooks for each one newly applied; returns how many.

    A transaction's own events are applied at once by whoever submitted it; the poller seeing them again changes
    nothing.
    """
    applied = 0
    for event in events:
        if _apply_one(event):
            applied += 1
            for hook in AFTER_APPLY:
                hook(event)
    return applied


def cursor() -> str | None:
    item = store.get(items.CURSOR_PK, "CURSOR")
    return str(item["cursor"]) if item and item.get("cursor") else None


def save_cursor(value: str | None, previous: str | None) -> None:
    """Advance the stored cursor; conditional, so two pollers cannot move it backwards."""
    if value is None or value == previous:
        return
    condition = (
        "attribute_not_exists(pk) OR #c = :prev" if previous else "attribute_not_exists(pk) OR attribute_not_exists(#c)"
    )
    values: dict[str, Any] = {":prev": previous} if previous else {}
    try:
        store.transact(
            [
                store.put(
                    {"pk": items.CURSOR_PK, "sk": "CURSOR", "cursor": value, "updated_at": clock.iso()},
                    condition=condition,
                    names={"#c": "cursor"},
                    values=values or None,
                )
            ]
        )
    except TransactionFailed:
        logger.info("another poller advanced the cursor first")


def poll(chain: ChainOps, *, max_pages: int = 20, page_size: int = 50) -> dict[str, int]:
    """Read new events from the chain from the stored cursor and apply them; returns counts."""
    applied = seen = 0
    start = cursor()
    position = start
    for _ in range(max_pages):
        events, next_cursor = chain.events_since(position, page_size)
        seen += len(events)
        applied += apply(events)
        if not events or next_cursor is None or next_cursor == position:
            position = next_cursor or position
            break
        position = next_cursor
    save_cursor(position, start)
    return {"seen": seen, "applied": applied}
