"""The purchase sweeper (a schedule): finish or refund every purchase intent whose lease has passed.

It reads gsi3 ``PURCHASES`` (intents in flight, sorted by the time their lease ends), acts on the due ones with
the saga's recovery, and reports the age of the oldest intent still open after the run.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from nodeplane import clock, metrics
from nodeplane.network.purchases import intents, saga
from nodeplane.network.purchases.intents import DONE, REFUNDED

logger = logging.getLogger("nodeplane.purchases")


def sweep(*, page_size: int = 50, max_pages: int = 10) -> dict[str, int]:
    """Finish or refund the due intents; returns counts and ``oldest_age_seconds`` of the intents left open."""
    now = clock.now()
    counts: Counter[str] = Counter()
    still_open: list[float] = []
    cursor: str | None = None
    for _ in range(max_pages):
        rows, cursor = intents.open_intents(limit=page_size, cursor=cursor)
        due = [r for r in rows if float(r["due_at"]) <= now]
        for row in due:
            result = _settle(row)
            counts[_outcome(result.state)] += 1
            if result.state in intents.OPEN:
                still_open.append(float(row["created_at"]))
        if len(due) < len(rows):
            # sorted by due time: the first one not due yet is the oldest of those waiting for their lease
            still_open.append(float(rows[len(due)]["created_at"]))
            break
        if not cursor:
            break
    oldest = max((now - min(still_open)) if still_open else 0.0, 0.0)
    # what the purchase-intent-age alarm reads (docs/operations.md#purchase-intent-age)
    metrics.add("PurchaseIntentOldestAgeSeconds", int(oldest), "Seconds")
    return {
        "intents": sum(counts.values()),
        "done": counts["done"],
        "refunded": counts["refunded"],
        "open": counts["open"],
        "oldest_age_seconds": int(oldest),
    }


def _settle(row: dict[str, Any]) -> saga.Result:
    try:
        return saga.recover(str(row["user"]), str(row["intent_id"]))
    except saga.StackOwnedElsewhere as exc:
        logger.error("purchase left open", extra={"intentId": row.get("intent_id"), "reason": str(exc)})
        # left open on purpose: its age alarms, and the log names the stack
        return saga.Result(str(row.get("state", intents.BUYING)), row)


def _outcome(state: str) -> str:
    return {DONE: "done", REFUNDED: "refunded"}.get(state, "open")
