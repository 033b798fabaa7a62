"""The operator API (`/daemon`): register nodes, publish their confidential-compute keys, and subscribe them
to tasks at a price, each as a real signed Sui transaction. An operator acts only on nodes whose badge its
own key holds; the request is checked against the projection first so the caller's mistakes are 4xx."""

from __future__ import annotations

import base64
import binascii
import contextlib
from typing import Any

from nodeplane import store
from nodeplane.errors import BadRequest, Conflict, DomainError, NotFound
from nodeplane.network import chain_events, chainops, items, operators, projection
from nodeplane.network.chainops import GasOptions, TxOutcome


class ChainFailure(DomainError):
    """The transaction could not be submitted or failed on chain for a reason that is not the caller's: the
    daemon's 500 (each route answers its own seed text; this detail goes to the log)."""

    status, title, code = 500, "Internal Server Error", "INTERNAL_ERROR"


# Move aborts that are the caller's mistake, and the status they get.
_ABORTS = {
    "ETaskNotFound": (NotFound, "unknown task"),
    "ENotSubscribed": (Conflict, "the node is not subscribed to this task"),
    "EAlreadySubscribed": (Conflict, "the node is already subscribed to this task"),
    "ETaskDeprecated": (Conflict, "the task is deprecated"),
    "EInvalidPrice": (BadRequest, "the price must be greater than zero"),
    "ENotEnoughReputation": (Conflict, "the node's reputation is below the task's minimum"),
}


def _outcome(result: TxOutcome) -> str:
    """The digest of a transaction that succeeded, its events applied at once; a Move abort as the caller's 4xx."""
    if not result.ok:
        kind, text = _ABORTS.get(result.error or "", (ChainFailure, "the transaction failed"))
        raise kind(f"{text} ({result.error}; tx {result.digest})")
    chain_events.apply(result.events)
    return str(result.digest)


def register_node(tenant: str) -> dict[str, Any]:
    address = operators.address_of(tenant)
    result = chainops.ops().register_node(address)
    digest = _outcome(result)
    event = result.event("NodeRegisteredEvent") or {}
    return {
        "tx_digest": digest,
        "node_small_id": projection.small(event.get("node_small_id", 0)),
        "node_badge_id": event.get("badge_id"),
    }


def operator_nodes(tenant: str) -> list[int]:
    return operators.operator_node_ids(operators.address_of(tenant))


def _nodes(tenant: str, node_small_id: int | None, node_badge_id: str | None = None) -> list[int]:
    """The nodes a request acts for: the one named by small id or by badge, else all the operator's."""
    if node_badge_id is not None:
        badge = node_badge_id.lower()
        mine_by_badge = {
            str(n.get("badge_id", "")).lower(): int(n["node_small_id"])
            for n in operators.operator_nodes(operators.address_of(tenant))
        }
        if badge not in mine_by_badge:
            raise NotFound(f"node badge {node_badge_id} is not held by one of your nodes")
        if node_small_id is not None and node_small_id != mine_by_badge[badge]:
            raise BadRequest(f"node badge {node_badge_id} is node {mine_by_badge[badge]}, not {node_small_id}")
        return [mine_by_badge[badge]]
    mine = operator_nodes(tenant)
    if node_small_id is None:
        if not mine:
            raise NotFound("you have no registered nodes; POST /daemon/nodes/register first")
        return mine
    if node_small_id not in mine:
        raise NotFound(f"node {node_small_id} is not one of your nodes")
    return [node_small_id]


def _task(task_small_id: int) -> dict[str, Any]:
    task = store.get(items.task_pk(task_small_id), "TASK")
    if not task:
        raise NotFound(f"unknown task {task_small_id}")
    if task.get("is_deprecated"):
        raise Conflict(f"task {task_small_id} is deprecated")
    return task


def _submit(call: Any) -> TxOutcome:
    """Run a chain call; a chain client that fails in any way is the daemon's 500, never a traceback."""
    try:
        result: TxOutcome = call()
    except DomainError as exc:
        if exc.status >= 500:  # an unavailable chain (ChainUnavailable), a refused transaction
            raise ChainFailure(f"the chain client failed: {exc.detail}") from exc
        raise  # the caller's mistakes found by the chain client (gas it cannot use) stay 4xx
    except Exception as exc:
        raise ChainFailure(f"the chain client failed: {type(exc).__name__}: {exc}") from exc
    return result


def subscribe(
    tenant: str,
    task_small_id: int,
    price: int,
    node_small_id: int | None = None,
    *,
    update: bool,
    node_badge_id: str | None = None,
    max_num_compute_units: int | None = None,
    gas: GasOptions | None = None,
) -> str:
    """Subscribe (or update) the operator's nodes to a task at ``price`` per one million compute units; the
    node accepts stacks of at most ``max_num_compute_units`` (kept with the subscription, the chain has none)."""
    if price <= 0:
        raise BadRequest("the price must be greater than zero")
    _task(task_small_id)
    nodes = _nodes(tenant, node_small_id, node_badge_id)
    for node in nodes:
        subscribed = store.get(items.node_pk(node), items.sub_sk(task_small_id)) is not None
        if update and not subscribed:
            raise Conflict(f"node {node} is not subscribed to task {task_small_id}")
        if not update and subscribed:
            raise Conflict(f"node {node} is already subscribed to task {task_small_id}")
    function = "update_node_subscription" if update else "subscribe_node_to_task"
    address = operators.address_of(tenant)
    digest = _outcome(
        _submit(lambda: chainops.ops().operator_calls(address, nodes, function, [task_small_id, price], gas=gas))
    )
    if max_num_compute_units is not None or not update:
        for node in nodes:
            _keep_max_units(node, task_small_id, max_num_compute_units)
    return digest


def _keep_max_units(node: int, task_small_id: int, units: int | None) -> None:
    if units is None:
        expression, values = "REMOVE operator_max_num_compute_units", None
    else:
        expression, values = "SET operator_max_num_compute_units = :m", {":m": units}
    with contextlib.suppress(store.TransactionFailed):  # unsubscribed meanwhile: nothing to keep
        store.transact(
            [
                store.update(
                    items.node_pk(node),
                    items.sub_sk(task_small_id),
                    expression,
                    condition="attribute_exists(pk)",
                    values=values,
                )
            ]
        )


def max_units(subscription: dict[str, Any]) -> int:
    """The largest stack a subscription accepts: the chain's limit, lowered by the operator's own."""
    chain = int(subscription.get("max_num_compute_units", 1_000_000))
    own = subscription.get("operator_max_num_compute_units")
    return min(chain, int(own)) if own is not None else chain


def unsubscribe(
    tenant: str,
    task_small_id: int,
    node_small_id: int | None = None,
    *,
    node_badge_id: str | None = None,
    gas: GasOptions | None = None,
) -> str:
    _task(task_small_id)
    nodes = _nodes(tenant, node_small_id, node_badge_id)
    for node in nodes:
        if store.get(items.node_pk(node), items.sub_sk(task_small_id)) is None:
            raise Conflict(f"node {node} is not subscribed to task {task_small_id}")
    address = operators.address_of(tenant)
    return _outcome(
        _submit(
            lambda: chainops.ops().operator_calls(
                address, nodes, "unsubscribe_node_from_task", [task_small_id], gas=gas
            )
        )
    )


def publish_public_key(tenant: str, node_small_id: int, public_key_b64: str, device_type: int) -> str:
    """Commit the node's X25519 key for confidential compute at the network's current key rotation."""
    try:
        key = base64.b64decode(public_key_b64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadRequest("public_key is not base64") from exc
    if len(key) != 32:
        raise BadRequest("public_key must be a 32-byte X25519 key")
    _nodes(tenant, node_small_id)
    rotation = store.get(items.KEYROT, "CURRENT")
    counter = int(rotation["key_rotation_counter"]) if rotation else 0
    return _outcome(
        chainops.ops().operator_calls(
            operators.address_of(tenant), [node_small_id], "rotate_node_public_key", [key, b"", counter, device_type]
        )
    )


def tasks(limit: int = 200) -> list[dict[str, Any]]:
    rows, _ = store.query("gsi1pk", items.TASKS, sk_name="gsi1sk", index="gsi1", limit=limit)
    fields = (
        "task_small_id",
        "task_id",
        "role",
        "model_name",
        "is_deprecated",
        "deprecated_at_epoch",
        "security_level",
        "minimum_reputation_score",
    )
    return [{f: i.get(f) for f in fields} for i in rows]


def subscriptions(tenant: str, node_small_id: int | None) -> list[dict[str, Any]]:
    out = []
    for node in _nodes(tenant, node_small_id) if node_small_id is not None else operator_nodes(tenant):
        rows, _ = store.query("pk", items.node_pk(node), sk_prefix=items.SUB_PREFIX, limit=200)
        out += [
            {
                "node_small_id": node,
                "task_small_id": i["task_small_id"],
                "price_per_one_million_compute_units": i["price_per_one_million_compute_units"],
                "max_num_compute_units": max_units(i),
                "valid": i.get("valid", True),
            }
            for i in rows
        ]
    return out
