"""Move values survive the trip through Sui GraphQL's rendering: for every event db.move emits, the stand-in's
``MoveValue.json`` (vector<u8> as base64) decodes back to the JSON-RPC ``parsedJson`` the projection reads."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from nodeplane.chain.contract import EVENT_FIELDS
from nodeplane.chain.graphql.decode import to_rpc_json
from nodeplane.chain.transactions import encode_pure
from nodeplane_local.sui_rpc import move

PACKAGE = "0x" + "ab" * 32
ADDRESSES = st.binary(min_size=32, max_size=32).map(lambda b: "0x" + b.hex())
WIDTHS = {"u8": 8, "u16": 16, "u32": 32, "u64": 64, "u128": 128, "u256": 256}


def values(layout: Any) -> st.SearchStrategy[Any]:
    """JSON-RPC values of a layout: u8-u32 as numbers, larger integers as strings, vector<u8> as numbers."""
    if isinstance(layout, str):
        if layout in WIDTHS:
            ints = st.integers(0, 2 ** WIDTHS[layout] - 1)
            return ints if WIDTHS[layout] <= 32 else ints.map(str)
        return st.booleans() if layout == "bool" else ADDRESSES
    if "vector" in layout:
        return st.lists(values(layout["vector"]), max_size=5)
    struct = layout["struct"]
    type_name = struct["type"]
    if "::option::Option<" in type_name:
        return st.none() | values(struct["fields"][0]["layout"]["vector"])
    if type_name.endswith("::ascii::String"):
        return st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=12)
    if type_name.endswith("::object::ID"):
        return ADDRESSES
    return st.fixed_dictionaries({f["name"]: values(f["layout"]) for f in struct["fields"]})


@st.composite
def events(draw: st.DrawFn) -> tuple[Any, Any]:
    name = draw(st.sampled_from(sorted(EVENT_FIELDS)))
    layout = move.event_layout(f"{PACKAGE}::db::{name}")
    return layout, draw(values(layout))


@settings(max_examples=300, deadline=None)
@given(events())
def test_event_json_round_trips_through_graphql(case: tuple[Any, Any]) -> None:
    layout, parsed = case
    rendered = move.to_graphql_json(parsed, layout)
    assert to_rpc_json(rendered, layout) == parsed
    move.to_bcs(parsed, layout)  # every value has a BCS form


def test_vector_u8_is_base64_in_graphql() -> None:
    layout = move.event_layout(f"{PACKAGE}::db::StackTrySettleEvent")
    parsed = {
        "stack_small_id": {"inner": "7"},
        "selected_node_id": {"inner": "1"},
        "requested_attestation_nodes": [{"inner": "2"}],
        "committed_stack_proof": [1, 2, 3],
        "stack_merkle_leaf": [],
        "num_claimed_compute_units": "10",
    }
    rendered = move.to_graphql_json(parsed, layout)
    assert rendered["committed_stack_proof"] == "AQID" and rendered["stack_merkle_leaf"] == ""
    assert rendered["requested_attestation_nodes"] == [{"inner": "2"}]
    expected = b"".join(
        [
            encode_pure("u64", 7),
            encode_pure("u64", 1),
            encode_pure("vector<u64>", [2]),
            encode_pure("vector<u8>", [1, 2, 3]),
            encode_pure("vector<u8>", []),
            encode_pure("u64", 10),
        ]
    )
    assert move.to_bcs(parsed, layout) == expected


def test_type_signatures() -> None:
    assert move.signature("u64") == "u64"
    coin = move.signature("0x2::coin::Coin<0x2::sui::SUI>")
    assert coin["datatype"]["type"] == "Coin" and coin["datatype"]["typeParameters"][0]["datatype"]["module"] == "sui"
    assert move.signature("vector<0x1::ascii::String>")["vector"]["datatype"]["type"] == "String"
