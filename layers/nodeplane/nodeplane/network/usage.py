"""Usage reports from nodes (`POST /proxy/v1/stacks/usage`): compute units spent on a stack, signed by the node.

What is signed, like node registration (network/registration.py): compact JSON of ``data`` rebuilt from the parsed
fields in the fixed key order ``stack_small_id, node_small_id, num_compute_units, lock_id, request_id``
(``lock_id`` left out when absent; ``separators=(",", ":")``, ``ensure_ascii=False``), hashed with
BLAKE2b-256; the raw 32-byte digest is signed with the node's Sui key and the signer's address must be
the node's ``sui_address`` (the sender of its registration).

Accounting (one transaction, so the invariant ``already + locked <= total`` is the database's):
``available_units = total - already - locked``. Locks are the lock code's entries ``locks.<lock id> =
{units, expires_at}`` on the stack item (network/locks/). A report of n units against lock L of m units
removes L and does ``locked -= m, already += n, available += m - n`` in one update conditional on L still
holding m units and ``available >= n - m``; a report without a lock needs ``available >= n``. An expired
lock that the sweeper has not released yet is still consumed: the request it covered was served.
The report's ``request_id`` is written as an item (``STACK#<stack>`` / ``USAGE#<request_id>``) in the same
transaction, so a replayed report counts once.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from nodeplane import clock, store
from nodeplane.errors import BadRequest, Conflict, Forbidden, NotFound
from nodeplane.network import items
from nodeplane.network.settlement import tickets
from nodeplane.store.dynamo import TransactionFailed

AUTO_CLAIM_FILL = 0.95  # the node daemon claims a confidential stack at this fill with no request in flight


def usage_message(
    stack_small_id: int, node_small_id: int, num_compute_units: int, lock_id: str | None, request_id: str
) -> bytes:
    """The exact bytes whose BLAKE2b-256 digest the node signs."""
    data: dict[str, Any] = {
        "stack_small_id": stack_small_id,
        "node_small_id": node_small_id,
        "num_compute_units": num_compute_units,
    }
    if lock_id is not None:
        data["lock_id"] = lock_id
    data["request_id"] = request_id
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


def usage_digest(
    stack_small_id: int, node_small_id: int, num_compute_units: int, lock_id: str | None, request_id: str
) -> bytes:
    message = usage_message(stack_small_id, node_small_id, num_compute_units, lock_id, request_id)
    return hashlib.blake2b(message, digest_size=32).digest()


def _verify(signature: str, digest: bytes, address: str) -> None:
    from nodeplane.chain.signatures import SignatureError, verify_serialized

    try:
        signer = verify_serialized(signature, digest, expected_address=address)
    except SignatureError as exc:
        raise BadRequest(f"Failed to verify signature: {exc}") from exc
    signed_by = getattr(signer, "address", None)
    if signed_by is not None and str(signed_by).lower() != address:
        raise BadRequest("The sui address associated with the node small ID does not match the signature sui address")


def report_usage(
    stack_small_id: int,
    node_small_id: int,
    num_compute_units: int,
    lock_id: str | None,
    request_id: str,
    signature: str,
) -> dict[str, Any]:
    node = store.get(items.node_pk(node_small_id), "NODE")
    if not node:
        raise NotFound(f"node {node_small_id} is not registered on chain")
    address = str(node["sui_address"]).lower()
    _verify(signature, usage_digest(stack_small_id, node_small_id, num_compute_units, lock_id, request_id), address)
    stack_pk = items.stack_pk(stack_small_id)
    stack = store.get(stack_pk, "STACK")
    if not stack:
        raise NotFound(f"stack {stack_small_id} not found")
    if int(stack["selected_node_id"]) != node_small_id:
        raise Forbidden(f"stack {stack_small_id} was not sold by node {node_small_id}")

    marker = store.put(
        {
            "pk": stack_pk,
            "sk": items.usage_sk(request_id),
            "entity": "usage_report",
            "node_small_id": node_small_id,
            "num_compute_units": num_compute_units,
            "lock_id": lock_id,
            "reported_at": clock.iso(),
        },
        condition="attribute_not_exists(pk)",
        label="usage",
    )
    ops = [marker]
    if lock_id is not None:
        lock = (stack.get("locks") or {}).get(lock_id)
        if lock is None:
            if store.get(stack_pk, items.usage_sk(request_id)):
                return _state(stack_small_id, replayed=True)
            raise Conflict(f"lock {lock_id} of stack {stack_small_id} does not exist (expired or already used)")
        locked = int(lock["units"])
        ops.append(
            store.update(
                stack_pk,
                "STACK",
                "REMOVE #locks.#id SET already_computed_units = already_computed_units + :n, "
                "locked_compute_units = locked_compute_units - :m, available_units = available_units + :d, "
                "lock_version = if_not_exists(lock_version, :zero) + :one",
                condition="#locks.#id.units = :m AND NOT is_claimed = :t AND available_units >= :need",
                names={"#locks": "locks", "#id": lock_id},
                values={
                    ":n": num_compute_units,
                    ":m": locked,
                    ":d": locked - num_compute_units,
                    ":need": max(0, num_compute_units - locked),
                    ":t": True,
                    ":zero": 0,
                    ":one": 1,
                },
                label="stack",
            )
        )
    else:
        ops.append(
            store.update(
                stack_pk,
                "STACK",
                "SET already_computed_units = already_computed_units + :n, available_units = available_units - :n",
                condition="attribute_exists(pk) AND NOT is_claimed = :t AND available_units >= :n",
                values={":n": num_compute_units, ":t": True},
                label="stack",
            )
        )
    try:
        store.transact(ops)
    except TransactionFailed as exc:
        if exc.failed("usage"):
            return _state(stack_small_id, replayed=True)
        failure = exc.failed("stack")
        if lock_id is not None and failure and failure.old and lock_id not in (failure.old.get("locks") or {}):
            raise Conflict(f"lock {lock_id} of stack {stack_small_id} was used or released meanwhile") from exc
        raise Conflict(
            f"stack {stack_small_id} cannot take {num_compute_units} more compute units (claimed or exhausted)"
        ) from exc
    state = _state(stack_small_id, replayed=False)
    state["claim_requested"] = maybe_auto_claim(stack_small_id)
    return state


def _state(stack_small_id: int, *, replayed: bool) -> dict[str, Any]:
    stack = store.get(items.stack_pk(stack_small_id), "STACK") or {}
    return {
        "stack_small_id": stack_small_id,
        "num_compute_units": int(stack.get("num_compute_units", 0)),
        "already_computed_units": int(stack.get("already_computed_units", 0)),
        "locked_compute_units": int(stack.get("locked_compute_units", 0)),
        "claim_requested": False,
        "replayed": replayed,
    }


def maybe_auto_claim(stack_small_id: int) -> bool:
    """A confidential stack at >= 95% with no lock in flight is claimed at once (through the settlement queue)."""
    stack = store.get(items.stack_pk(stack_small_id), "STACK")
    if not stack or not stack.get("is_confidential") or stack.get("is_claimed"):
        return False
    total = int(stack.get("num_compute_units", 0))
    if total <= 0 or int(stack.get("already_computed_units", 0)) < AUTO_CLAIM_FILL * total:
        return False
    if int(stack.get("locked_compute_units", 0)) > 0:
        return False  # a request is in flight; its own report re-checks
    return tickets.request_confidential_claim(stack_small_id)
