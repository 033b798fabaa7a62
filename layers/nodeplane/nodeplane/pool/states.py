"""The pool node state machine, written down once. Every write checks it inside DynamoDB."""

from __future__ import annotations

from typing import Any

# action -> (statuses it may start from, status it ends in)
TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    "start_discovery": (frozenset({"PENDING"}), "DISCOVERING"),
    "discovered": (frozenset({"DISCOVERING"}), "AVAILABLE"),
    "discovered_with_warning": (frozenset({"DISCOVERING"}), "WARNING"),
    "fail_discovery": (frozenset({"PENDING", "DISCOVERING"}), "FAILED"),
    "add_to_cluster": (frozenset({"AVAILABLE", "WARNING"}), "ADDED"),
    "deploy": (frozenset({"ADDED"}), "DEPLOYED"),
    "remove_from_cluster": (frozenset({"ADDED", "DEPLOYED"}), None),  # back to its pre-cluster status
    # not in use: outside any cluster (ADDED, DEPLOYED) and with no discovery in flight (PENDING, DISCOVERING)
    "delete": (frozenset({"AVAILABLE", "WARNING", "FAILED"}), None),
    "rediscover": (frozenset({"AVAILABLE", "WARNING", "FAILED"}), "PENDING"),
}


def allowed(action: str) -> frozenset[str]:
    return TRANSITIONS[action][0]


def target(action: str) -> str | None:
    return TRANSITIONS[action][1]


def condition(action: str, values: dict[str, Any], names: dict[str, str]) -> str:
    """A condition expression that holds only if the node may take ``action`` now."""
    names["#status"] = "node_status"
    keys = []
    for i, status in enumerate(sorted(allowed(action))):
        values[f":from{i}"] = status
        keys.append(f":from{i}")
    return f"attribute_exists(pk) AND #status IN ({', '.join(keys)})"
