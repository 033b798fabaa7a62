"""The lock sweeper (a schedule): release the expired locks of every stack whose earliest expiry has passed."""

from __future__ import annotations

from nodeplane import metrics, store
from nodeplane.network import items
from nodeplane.network.locks.plan import now_ms
from nodeplane.network.locks.reserve import release_expired


def sweep(*, page_size: int = 100, max_pages: int = 10) -> dict[str, int]:
    """Release expired locks of every stack whose earliest expiry has passed (the scheduled sweeper)."""
    at_ms = now_ms()
    stacks = released = 0
    for shard in range(items.LOCK_EXPIRY_SHARDS):
        cursor: str | None = None
        for _ in range(max_pages):
            rows, cursor = store.query(
                "gsi3pk",
                items.lock_expiry_shard_pk(shard),
                sk_name="gsi3sk",
                sk_between=("0", items.lock_expiry_until(at_ms)),
                index="gsi3",
                limit=page_size,
                cursor=cursor,
            )
            for row in rows:
                stacks += 1
                released += release_expired(int(row["stack_small_id"]), at_ms)
            if not cursor:
                break
    metrics.add("LockSweeperLagSeconds", lag_seconds(now_ms()), "Seconds")
    return {"stacks": stacks, "released_units": released}


def lag_seconds(at_ms: int) -> float:
    """Age of the oldest expired lock still holding its units (0 when none): one read per shard of the index."""
    oldest = at_ms
    for shard in range(items.LOCK_EXPIRY_SHARDS):
        rows, _ = store.query(
            "gsi3pk",
            items.lock_expiry_shard_pk(shard),
            sk_name="gsi3sk",
            sk_between=("0", items.lock_expiry_until(at_ms)),
            index="gsi3",
            limit=1,
        )
        if rows:
            oldest = min(oldest, int(str(rows[0]["gsi3sk"]).split("#", 1)[0]))
    return round((at_ms - oldest) / 1000, 3)
