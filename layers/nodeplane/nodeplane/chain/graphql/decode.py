"""Sui GraphQL response shapes → the chain-access port's values.

Move values arrive as ``MoveValue.json`` with their ``layout``; events are handed on in the JSON-RPC shape the
projection reads (``parsedJson``, ``timestampMs``), where a ``vector<u8>`` is a list of numbers, not base64.
"""

from __future__ import annotations

import base64
import re
from datetime import datetime
from typing import Any, Final

from nodeplane.chain.access import (
    ChangeKind,
    ExecutedTransaction,
    GasCost,
    JsonValue,
    MoveAbortInfo,
    ObjectChange,
    ObjectInfo,
    OwnedObject,
    OwnerKind,
    RejectionKind,
    SuiEvent,
    normalize_type,
)
from nodeplane.chain.signatures import normalize_address
from nodeplane.chain.transactions import ObjectRef

# Structs Sui renders as one JSON scalar: strings, ids, urls, balances.
_SCALAR_STRUCTS: Final = re.compile(
    r"^0x0*1::(ascii|string)::String$|^0x0*2::object::(ID|UID)$|^0x0*2::url::Url$|^0x0*2::balance::Balance<"
)
_OPTION: Final = re.compile(r"^0x0*1::option::Option<")

# Sui's wording of the rejections it reports before execution, by what the caller should fix.
_REJECTIONS: Final[tuple[tuple[RejectionKind, re.Pattern[str]], ...]] = (
    (
        "object",
        re.compile(
            r"not available for consumption|already locked|Could not find the referenced object|is not current"
            r"|ObjectVersionUnavailable|ObjectLockConflict|ObjectNotFound|is owned by|not owned by",
            re.IGNORECASE,
        ),
    ),
    ("gas", re.compile(r"gas budget|gas price|balance of gas object|GasBudgetTooLow|GasBalanceTooLow", re.IGNORECASE)),
    ("signature", re.compile(r"signature", re.IGNORECASE)),
)


def rejection_kind(message: str) -> RejectionKind:
    for kind, pattern in _REJECTIONS:
        if pattern.search(message):
            return kind
    return "invalid"


# ---------------------------------------------------------------- Move values


def to_rpc_json(value: Any, layout: Any) -> Any:
    """``MoveValue.json`` → the JSON-RPC ``parsedJson`` form (only ``vector<u8>`` differs: base64 → numbers)."""
    if value is None or layout is None:
        return value
    if isinstance(layout, dict) and "vector" in layout:
        inner = layout["vector"]
        if inner == "u8" and isinstance(value, str):
            return list(base64.b64decode(value))
        return [to_rpc_json(v, inner) for v in value] if isinstance(value, list) else value
    if isinstance(layout, dict) and "struct" in layout:
        struct = layout["struct"]
        type_name = str(struct.get("type", ""))
        if _SCALAR_STRUCTS.search(type_name):
            return value
        fields = {f["name"]: f["layout"] for f in struct.get("fields", [])}
        if _OPTION.search(type_name):  # an Option is its value or null
            element = fields.get("vec", {})
            return to_rpc_json(value, element.get("vector") if isinstance(element, dict) else None)
        if isinstance(value, dict):
            return {k: to_rpc_json(v, fields.get(k)) for k, v in value.items()}
    return value


def _ms(timestamp: str | None) -> str | None:
    if not timestamp:
        return None
    return str(int(datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp() * 1000))


def event(node: dict[str, Any], tx_digest: str) -> SuiEvent:
    contents = node.get("contents") or {}
    move_type = contents.get("type") or {}
    module = node.get("transactionModule") or {}
    package = (module.get("package") or {}).get("address") or ""
    parsed = to_rpc_json(contents.get("json"), move_type.get("layout"))
    return {
        "id": {"txDigest": tx_digest, "eventSeq": str(node.get("sequenceNumber", 0))},
        "packageId": normalize_address(package) if package else "",
        "transactionModule": str(module.get("name", "")),
        "sender": normalize_address((node.get("sender") or {}).get("address") or "0x0"),
        "type": normalize_type(str(move_type.get("repr", ""))),
        "parsedJson": parsed if isinstance(parsed, dict) else {},
        "timestampMs": _ms(node.get("timestamp")),
    }


# ---------------------------------------------------------------- objects


def owner(node: dict[str, Any] | None) -> tuple[OwnerKind, str | None, int | None]:
    """(kind, owning address, initial shared version) of an ``Owner`` union value."""
    node = node or {}
    typename = node.get("__typename")
    if typename == "Shared":
        return "shared", None, int(node["initialSharedVersion"])
    if typename == "Immutable":
        return "immutable", None, None
    address = (node.get("address") or {}).get("address")
    kind: OwnerKind = "object" if typename == "ObjectOwner" else "address"
    return kind, normalize_address(address) if address else None, None


def _contents(node: dict[str, Any]) -> dict[str, Any]:
    contents = node.get("contents") or (node.get("asMoveObject") or {}).get("contents") or {}
    return contents if isinstance(contents, dict) else {}


def _fields(node: dict[str, Any]) -> dict[str, JsonValue]:
    json_value = _contents(node).get("json")
    return json_value if isinstance(json_value, dict) else {}


def _type(node: dict[str, Any]) -> str | None:
    repr_ = (_contents(node).get("type") or {}).get("repr")
    return normalize_type(repr_) if repr_ else None


def _ref(node: dict[str, Any]) -> ObjectRef:
    return ObjectRef(normalize_address(node["address"]), int(node["version"]), str(node["digest"]))


def owned_object(node: dict[str, Any]) -> OwnedObject:
    _, address, _ = owner(node.get("owner"))
    return OwnedObject(ref=_ref(node), type=_type(node) or "", owner=address or "", fields=_fields(node))


def object_info(node: dict[str, Any] | None) -> ObjectInfo | None:
    if node is None:
        return None
    kind, address, shared_version = owner(node.get("owner"))
    return ObjectInfo(_ref(node), _type(node), kind, address, shared_version, _fields(node))


# ---------------------------------------------------------------- effects


def object_change(node: dict[str, Any]) -> ObjectChange:
    object_id = normalize_address(node["address"])
    out = node.get("outputState")
    kind: ChangeKind = "deleted" if node.get("idDeleted") else "created" if node.get("idCreated") else "mutated"
    if not out or kind == "deleted":
        return ObjectChange(object_id, "deleted" if not out else kind, None)
    owner_kind, address, shared_version = owner(out.get("owner"))
    ref = ObjectRef(object_id, int(out["version"]), str(out["digest"]))
    return ObjectChange(object_id, kind, ref, _type(out), owner_kind, address, shared_version, _fields(out))


def abort(effects: dict[str, Any]) -> MoveAbortInfo | None:
    if effects.get("status") == "SUCCESS":
        return None
    error = effects.get("executionError")
    if not error:
        return MoveAbortInfo(message="transaction failed")
    module = (error.get("module") or {}).get("name")
    function = (error.get("function") or {}).get("name")
    code = error.get("abortCode")
    return MoveAbortInfo(
        message=str(error.get("message", "")),
        name=error.get("identifier"),
        code=int(code) if code is not None else None,
        function=f"{module}::{function}" if module and function else None,
    )


def gas(effects: dict[str, Any]) -> GasCost:
    summary = (effects.get("gasEffects") or {}).get("gasSummary") or {}
    return GasCost(
        computation=int(summary.get("computationCost") or 0),
        storage=int(summary.get("storageCost") or 0),
        rebate=int(summary.get("storageRebate") or 0),
    )


def executed(
    effects: dict[str, Any], changes: list[dict[str, Any]], events: list[dict[str, Any]]
) -> ExecutedTransaction:
    """``TransactionEffects`` (with every page of its object changes and events) → ExecutedTransaction."""
    digest = str(effects["digest"])
    epoch = (effects.get("epoch") or {}).get("epochId")
    return ExecutedTransaction(
        digest=digest,
        status="success" if effects.get("status") == "SUCCESS" else "failure",
        abort=abort(effects),
        events=tuple(event(e, digest) for e in events),
        changes=tuple(object_change(c) for c in changes),
        gas=gas(effects),
        epoch=int(epoch) if epoch is not None else None,
    )
