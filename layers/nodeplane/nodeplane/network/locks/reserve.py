"""The writes on a stack's lock map: reserve units with one conditional update, release a lock once, and release
the expired ones (moving the stack's entry in the expiry index)."""

from __future__ import annotations

import logging
from typing import Any

from nodeplane import metrics, store
from nodeplane.network import items
from nodeplane.network.locks.plan import MAX_DROPS_PER_UPDATE, MAX_LOCKS_PER_STACK, NewLock, Plan, now_ms, plan
from nodeplane.store.dynamo import TransactionFailed

logger = logging.getLogger("nodeplane.locks")

RESERVE_ATTEMPTS = 6  # each failed attempt means another reservation won: bounded, rarely reached


def _reserve_op(stack: dict[str, Any], lock: NewLock, user: str, step: Plan) -> store.Op:
    stack_id = int(stack["stack_small_id"])
    new_sk = items.lock_expiry_sk(lock.expires_at, stack_id)
    delta = lock.units - step.freed
    names = {"#locks": "locks", "#new": lock.lock_id, "#user": "user"}
    values: dict[str, Any] = {
        ":lock": {"units": lock.units, "expires_at": lock.expires_at},
        ":delta": delta,
        ":user": user,
        ":t": True,
        ":one": 1,
        ":zero": 0,
        ":cap": MAX_LOCKS_PER_STACK + len(step.drop),
        ":g3sk": new_sk,
    }
    sets = [
        "available_units = available_units - :delta",
        "locked_compute_units = locked_compute_units + :delta",
        "lock_version = if_not_exists(lock_version, :zero) + :one",
    ]
    conds = [
        "#user = :user",
        "available_units >= :delta",
        "NOT is_claimed = :t",
        "(attribute_not_exists(is_locked) OR NOT is_locked = :t)",
        "(attribute_not_exists(is_locked_for_claim) OR NOT is_locked_for_claim = :t)",
    ]
    if "locks" in stack:
        sets.append("#locks.#new = :lock")
        # the lock once: an SDK retry of a reservation that landed must not take its units a second time
        conds += ["size(#locks) < :cap", "attribute_not_exists(#locks.#new)"]
    else:
        # a stack written without a lock map (e.g. by the projection) gets its first one here
        sets.append("#locks = :first")
        values[":first"] = {lock.lock_id: values[":lock"]}
        conds.append("attribute_not_exists(#locks)")
        del values[":lock"], values[":cap"]
        names.pop("#new")
    removes = []
    for i, lid in enumerate(step.drop):
        names[f"#d{i}"] = lid
        removes.append(f"#locks.#d{i}")
        conds.append(f"attribute_exists(#locks.#d{i})")
    # keep gsi3sk at or before the earliest expiry: lower it to this lock's expiry, or check it already is
    current_sk = stack.get("gsi3sk")
    if isinstance(current_sk, str) and current_sk <= new_sk:
        conds.append("gsi3sk <= :g3sk")
    else:
        sets += ["gsi3pk = :g3pk", "gsi3sk = :g3sk"]
        values[":g3pk"] = items.lock_expiry_pk(stack_id)
        conds.append("(attribute_not_exists(gsi3sk) OR gsi3sk >= :g3sk)")
    expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
    return store.update(
        items.stack_pk(stack_id),
        "STACK",
        expression,
        condition=" AND ".join(conds),
        names=names,
        values=values,
        label="reserve",
    )


def reserve(stack: dict[str, Any], lock: NewLock, user: str) -> bool:
    """Reserve ``lock.units`` on a stack of ``user`` with one conditional update; False when it does not fit.

    ``stack`` may be stale (read from an index): a failed condition hands back the current item, and the
    plan is made again from it, a bounded number of times.
    """
    item: dict[str, Any] | None = stack
    for _ in range(RESERVE_ATTEMPTS):
        if item is None or item.get("user") != user:
            return False
        step = plan(item, lock.units, now_ms())
        if not step.ok:
            return False
        try:
            store.transact([_reserve_op(item, lock, user, step)])
        except TransactionFailed as exc:
            failure = exc.failed("reserve")
            stack_pk = items.stack_pk(int(item["stack_small_id"]))
            item = failure.old if failure and failure.old else store.get(stack_pk, "STACK")
            if item is not None and lock.lock_id in (item.get("locks") or {}):
                return True  # this very reservation landed and the SDK retried it
            continue
        if step.drop:
            metrics.add("LocksExpired", len(step.drop))
            logger.info("released %d expired locks of stack %s at read time", len(step.drop), item["stack_small_id"])
        return True
    return False


def release(stack_small_id: int, lock_id: str) -> int:
    """Give back exactly the units of one lock, once; returns them (0 when it was already released)."""
    stack = store.get(items.stack_pk(stack_small_id), "STACK")
    lock = ((stack or {}).get("locks") or {}).get(lock_id)
    if not lock:
        return 0
    units = int(lock["units"])
    try:
        store.transact(
            [
                store.update(
                    items.stack_pk(stack_small_id),
                    "STACK",
                    "REMOVE #locks.#id SET available_units = available_units + :n, "
                    "locked_compute_units = locked_compute_units - :n, "
                    "lock_version = if_not_exists(lock_version, :zero) + :one",
                    condition="#locks.#id.units = :n",
                    names={"#locks": "locks", "#id": lock_id},
                    values={":n": units, ":one": 1, ":zero": 0},
                )
            ]
        )
    except TransactionFailed:
        return 0  # released by someone else in between
    return units


def release_expired(stack_small_id: int, at_ms: int | None = None) -> int:
    """Release every expired lock of one stack and move its expiry-index entry; returns the units freed."""
    at_ms = now_ms() if at_ms is None else at_ms
    freed_total = 0
    for _ in range(RESERVE_ATTEMPTS):
        stack = store.get(items.stack_pk(stack_small_id), "STACK")
        if not stack:
            return freed_total
        locks: dict[str, Any] = stack.get("locks") or {}
        if not locks and "gsi3pk" not in stack:
            return freed_total
        expired = {lid: int(lk["units"]) for lid, lk in locks.items() if int(lk["expires_at"]) <= at_ms}
        expired = dict(list(expired.items())[:MAX_DROPS_PER_UPDATE])
        remaining = [int(lk["expires_at"]) for lid, lk in locks.items() if lid not in expired]
        version = stack.get("lock_version", 0)
        names: dict[str, str] = {"#v": "lock_version"}
        values: dict[str, Any] = {":zero": 0, ":one": 1}
        removes = []
        for i, lid in enumerate(expired):
            names[f"#l{i}"] = lid
            removes.append(f"#locks.#l{i}")
        if expired:
            names["#locks"] = "locks"
        freed = sum(expired.values())
        sets = ["#v = if_not_exists(#v, :zero) + :one"]
        if freed:
            sets += ["available_units = available_units + :f", "locked_compute_units = locked_compute_units - :f"]
            values[":f"] = freed
        if remaining:
            sets += ["gsi3pk = :g3pk", "gsi3sk = :g3sk"]
            values[":g3pk"] = items.lock_expiry_pk(stack_small_id)
            values[":g3sk"] = items.lock_expiry_sk(min(remaining), stack_small_id)
            if stack.get("gsi3sk") == values[":g3sk"] and not expired:
                return freed_total
        else:
            removes += ["gsi3pk", "gsi3sk"]
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        # conditional on the lock map not having changed since the read, so the index entry stays correct
        condition = "attribute_not_exists(#v)"
        if "lock_version" in stack:
            condition = "#v = :v"
            values[":v"] = version
        try:
            store.transact(
                [
                    store.update(
                        items.stack_pk(stack_small_id),
                        "STACK",
                        expression,
                        condition=condition,
                        names=names,
                        values=values,
                    )
                ]
            )
        except TransactionFailed:
            continue
        freed_total += freed
        if expired:
            metrics.add("LocksExpired", len(expired))
        if len(expired) < MAX_DROPS_PER_UPDATE:
            return freed_total
    return freed_total
