"""Settlement work on the queue. A job is only a pointer, ``{"kind": "settle", "stack_small_id": n, "action": a}``:
the worker always re-reads the ticket. A ticket keeps ``next_action`` (and its place in gsi3) until its work is
done, so a job that was never sent is sent by the sweeper."""

from __future__ import annotations

from typing import Any

from nodeplane import queue
from nodeplane.settings import settings


def job(stack_small_id: int, action: str | None) -> dict[str, Any]:
    return {"kind": "settle", "stack_small_id": stack_small_id, "action": action}


def enqueue(stack_small_id: int, action: str | None, *, delay_seconds: int = 0) -> bool:
    return queue.send(settings().settlement_queue_url, job(stack_small_id, action), delay_seconds=delay_seconds)
