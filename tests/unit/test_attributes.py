"""The attribute-value codec against boto3's TypeSerializer / TypeDeserializer, on generated values."""

from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from hypothesis import given
from hypothesis import strategies as st

from nodeplane.store.attributes import deserialize, from_attribute, serialize, to_attribute

numbers = st.one_of(
    st.integers(min_value=-(10**37), max_value=10**37),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e30, max_value=1e30).filter(
        lambda f: f == 0 or abs(f) > 1e-100  # below DynamoDB's smallest exponent boto3 refuses too
    ),
)
scalars = st.one_of(st.none(), st.booleans(), st.text(max_size=20), numbers, st.binary(max_size=8))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(min_size=1, max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
sets = st.one_of(
    st.frozensets(st.text(max_size=8), min_size=1, max_size=4),
    st.frozensets(st.integers(min_value=-(10**12), max_value=10**12), min_size=1, max_size=4),
    st.frozensets(st.binary(min_size=1, max_size=4), min_size=1, max_size=4),
)


def boto3_form(value: Any) -> Any:
    """What boto3 is given: floats as exact decimals (it refuses floats), everything else as is."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: boto3_form(v) for k, v in value.items()}
    if isinstance(value, list):
        return [boto3_form(v) for v in value]
    if isinstance(value, frozenset):
        return {boto3_form(v) for v in value}
    return value


def plain(value: Any) -> Any:
    """boto3's output as plain Python: Decimal to int/float, Binary to bytes."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, set):
        return {plain(v) for v in value}
    if hasattr(value, "value") and type(value).__name__ == "Binary":
        return bytes(value.value)
    return value


def canonical(attribute: Any) -> Any:
    """Set members in a fixed order and Binary unwrapped, so two encodings compare equal."""
    if isinstance(attribute, dict):
        return {k: sorted(map(canonical, v)) if k in ("SS", "NS", "BS") else canonical(v) for k, v in attribute.items()}
    if isinstance(attribute, list):
        return [canonical(v) for v in attribute]
    if type(attribute).__name__ == "Binary":
        return bytes(attribute.value)
    return attribute


@given(st.one_of(values, sets))
def test_encodes_as_boto3_does(value):
    assert canonical(to_attribute(value)) == canonical(TypeSerializer().serialize(boto3_form(value)))


@given(st.one_of(values, sets))
def test_decodes_as_boto3_does_and_round_trips(value):
    attribute = TypeSerializer().serialize(boto3_form(value))
    decoded = from_attribute(attribute)
    assert decoded == plain(TypeDeserializer().deserialize(attribute))
    assert as_floats(decoded) == as_floats(set(value) if isinstance(value, frozenset) else value)


def as_floats(value: Any) -> Any:
    """Numbers compared as floats: an integral float may come back as an int (its shortest repr, exactly)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, dict):
        return {k: as_floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_floats(v) for v in value]
    if isinstance(value, set | frozenset):
        return {as_floats(v) for v in value}
    return value


def test_items_and_floats_keep_their_value():
    item = {"pk": "T#a", "price": 0.1, "n": 3, "big": 10**30, "tags": {"x"}, "nested": {"l": [1.5, None, True]}}
    assert deserialize(serialize(item)) == item
    assert serialize({"price": 0.1}) == {"price": {"N": "0.1"}}


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), 10**40 + 1, 1e-200, set(), {1, "a"}, object()])
def test_what_dynamodb_cannot_store_is_refused(bad):
    with pytest.raises(TypeError):
        to_attribute(bad)
