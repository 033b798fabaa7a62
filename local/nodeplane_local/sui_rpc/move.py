"""Move values as Sui GraphQL shows them: type layouts and signatures, ``MoveValue.json`` and ``MoveValue.bcs``.

The ledger keeps events in the JSON-RPC shape (``vector<u8>`` as a list of numbers); Sui GraphQL renders a
``vector<u8>`` as base64. The layouts come from the contract's field tables (nodeplane.chain.contract).
"""

from __future__ import annotations

import base64
from typing import Any

from nodeplane.chain.access import normalize_type
from nodeplane.chain.contract import COIN_FIELDS, EVENT_FIELDS, OBJECT_FIELDS, WRAPPERS
from nodeplane.chain.signatures import normalize_address, uleb128

Layout = Any  # "u64" | {"vector": Layout} | {"struct": {"type": str, "fields": [{"name", "layout"}]}}

_INTEGERS = {"u8": 1, "u16": 2, "u32": 4, "u64": 8, "u128": 16, "u256": 32}


def _struct(type_name: str, fields: list[tuple[str, Layout]]) -> Layout:
    return {"struct": {"type": normalize_type(type_name), "fields": [{"name": n, "layout": lo} for n, lo in fields]}}


def _id() -> Layout:
    return _struct("0x2::object::ID", [("bytes", "address")])


def field_layout(move_type: str, package: str) -> Layout:
    """The layout of a field type written as in contract.EVENT_FIELDS (``u64``, ``vector<u8>``, ``ID``...)."""
    if move_type in _INTEGERS or move_type in ("bool", "address"):
        return move_type
    if move_type.startswith("vector<"):
        return {"vector": field_layout(move_type[len("vector<") : -1], package)}
    if move_type.startswith("option<"):
        inner = move_type[len("option<") : -1]
        inner_type = _type_of(inner, package)
        return _struct(f"0x1::option::Option<{inner_type}>", [("vec", {"vector": field_layout(inner, package)})])
    if move_type == "ascii":
        return _struct("0x1::ascii::String", [("bytes", {"vector": "u8"})])
    if move_type == "ID":
        return _id()
    if move_type in WRAPPERS:
        return _struct(f"{package}::db::{move_type}", [("inner", WRAPPERS[move_type])])
    raise ValueError(f"no layout for {move_type}")


def _type_of(move_type: str, package: str) -> str:
    if move_type == "ascii":
        return "0x1::ascii::String"
    if move_type == "ID":
        return "0x2::object::ID"
    if move_type in WRAPPERS:
        return f"{package}::db::{move_type}"
    return move_type


def event_layout(event_type: str) -> Layout | None:
    """The layout of an event of the atoma package (``<package>::db::<Name>``), None for an unknown type."""
    package, _, name = normalize_type(event_type).partition("::db::")
    fields = EVENT_FIELDS.get(name)
    if not package or fields is None:
        return None
    return _struct(event_type, [(n, field_layout(t, package)) for n, t in fields])


def object_layout(object_type: str) -> Layout | None:
    """The layout of a ledger object (a Coin<T> or an atoma db object)."""
    full = normalize_type(object_type)
    base = full.split("<", 1)[0]
    uid = _struct("0x2::object::UID", [("id", _id())])
    if base.endswith("::coin::Coin"):
        marker = full[len(base) + 1 : -1]
        balance = _struct(f"0x2::balance::Balance<{marker}>", [("value", "u64")])
        return _struct(full, [("id", uid), *((n, balance) for n, _ in COIN_FIELDS)])
    package, _, name = base.partition("::db::")
    if name not in OBJECT_FIELDS:
        return None
    return _struct(full, [("id", uid), *((n, field_layout(t, package)) for n, t in OBJECT_FIELDS[name])])


def signature(type_name: str) -> Any:
    """``MoveTypeSignature`` of a concrete type string (``0x..::m::T<A, B>``, primitives, vectors)."""
    text = normalize_type(type_name)
    value, rest = _parse_signature(text)
    if rest:
        raise ValueError(f"trailing text in type {type_name!r}")
    return value


def _parse_signature(text: str) -> tuple[Any, str]:
    for primitive in ("address", "bool", *_INTEGERS):
        if text.startswith(primitive) and not text[len(primitive) : len(primitive) + 1].isalnum():
            return primitive, text[len(primitive) :]
    if text.startswith("vector<"):
        inner, rest = _parse_signature(text[len("vector<") :])
        return {"vector": inner}, rest[1:]
    address, module, rest = text.split("::", 2)
    end = min((i for i in (rest.find("<"), rest.find(","), rest.find(">")) if i >= 0), default=len(rest))
    name, rest = rest[:end], rest[end:]
    params = []
    if rest.startswith("<"):
        rest = rest[1:]
        while True:
            param, rest = _parse_signature(rest)
            params.append(param)
            if rest.startswith(","):
                rest = rest[1:]
                continue
            rest = rest[1:]  # ">"
            break
    datatype = {"package": address, "module": module, "type": name, "typeParameters": params}
    return {"datatype": datatype}, rest


# ---------------------------------------------------------------- values


def to_graphql_json(value: Any, layout: Layout) -> Any:
    """JSON-RPC ``parsedJson`` → ``MoveValue.json`` (a ``vector<u8>`` becomes base64)."""
    if value is None:
        return None
    if isinstance(layout, dict) and "vector" in layout:
        if layout["vector"] == "u8" and isinstance(value, list | bytes):
            return base64.b64encode(bytes(value)).decode()
        return [to_graphql_json(v, layout["vector"]) for v in value]
    if isinstance(layout, dict) and "struct" in layout:
        struct = layout["struct"]
        fields = {f["name"]: f["layout"] for f in struct["fields"]}
        if struct["type"].startswith(normalize_type("0x1::option::Option<")):
            return to_graphql_json(value, fields["vec"]["vector"])
        if isinstance(value, dict):
            return {k: to_graphql_json(v, fields.get(k)) for k, v in value.items()}
    return value


def to_bcs(value: Any, layout: Layout) -> bytes:
    """BCS bytes of a value in JSON-RPC form (``MoveValue.bcs``)."""
    if isinstance(layout, str):
        if layout in _INTEGERS:
            return int(value).to_bytes(_INTEGERS[layout], "little")
        if layout == "bool":
            return b"\x01" if value else b"\x00"
        return bytes.fromhex(normalize_address(value)[2:])  # address
    if "vector" in layout:
        items = list(base64.b64decode(value)) if isinstance(value, str) else list(value)
        return uleb128(len(items)) + b"".join(to_bcs(v, layout["vector"]) for v in items)
    struct = layout["struct"]
    type_name: str = struct["type"]
    fields = struct["fields"]
    if type_name.startswith(normalize_type("0x1::option::Option<")):
        return to_bcs([] if value is None else [value], fields[0]["layout"])
    if type_name in (normalize_type("0x1::ascii::String"), normalize_type("0x1::string::String")):
        raw = str(value).encode()
        return uleb128(len(raw)) + raw
    if type_name in (normalize_type("0x2::object::ID"), normalize_type("0x2::object::UID")):
        return to_bcs(value, "address")
    if len(fields) == 1 and not isinstance(value, dict):  # Balance<T>: rendered as its value
        return to_bcs(value, fields[0]["layout"])
    return b"".join(to_bcs(value.get(f["name"]), f["layout"]) for f in fields)
