"""The settlement sweeper (a schedule): re-enqueue settlements whose work stalled, fail those past their deadline.

It reads only the due part of gsi3 (``SETTLEMENTS`` / ``<due>#<stack>``), where a ticket sits while work is left.
"""

from __future__ import annotations

from nodeplane import clock, metrics, store
from nodeplane.network import items
from nodeplane.network.settlement import jobs, tickets
from nodeplane.settings import settings
from nodeplane.store.dynamo import TransactionFailed


def sweep(limit: int = 100) -> dict[str, int]:
    """Re-enqueue settlements whose work stalled; fail those past their deadline. Reads only due tickets."""
    now = clock.now()
    requeued = failed = 0
    backlog = 0.0  # how long the oldest due ticket has gone without progress
    cursor: str | None = None
    while True:
        rows, cursor = store.query(
            "gsi3pk",
            items.SETTLEMENTS,
            sk_name="gsi3sk",
            index="gsi3",
            sk_between=("0", items.settlement_due_sk(now, 10**12 - 1)),
            limit=limit,
            cursor=cursor,
        )
        for item in rows:
            stack = int(item["stack_small_id"])
            since = item.get("progress_at", item.get("enqueued_at", now))
            backlog = max(backlog, now - float(since))
            if now >= float(item.get("deadline", float("inf"))):
                failed += tickets.fail(stack, "settlement deadline passed")
                continue
            due = items.settlement_due_sk(now + settings().settlement_stall_seconds, stack)
            try:
                store.transact(
                    [
                        store.update(
                            items.stack_pk(stack),
                            "TICKET",
                            "SET enqueued_at = :now, gsi3sk = :due",
                            condition="gsi3sk = :old",
                            values={":now": now, ":due": due, ":old": item["gsi3sk"]},
                        )
                    ]
                )
            except TransactionFailed:
                continue  # progressed meanwhile
            requeued += jobs.enqueue(stack, item.get("next_action"))
        if not cursor:
            metrics.add("SettlementBacklogAgeSeconds", round(backlog, 3), "Seconds")
            return {"requeued": requeued, "failed": failed}
