"""DynamoDB's attribute-value wire format, to and from plain Python values.

Numbers come back as ``int`` when integral and ``float`` otherwise; floats go in by their shortest ``repr``,
so a float read back is the float written. Strings, booleans, ``None``, bytes, lists, dicts and sets
(of strings, numbers or bytes) map as boto3's ``TypeSerializer`` maps them, with the same 38-digit decimal
context (tests/unit/test_attributes.py checks both against boto3). The layer talks to AWS through botocore
alone, so this codec stands in for ``boto3.dynamodb.types``.
"""

from collections.abc import Mapping, Set
from decimal import Clamped, Context, Decimal, DecimalException, Inexact, Overflow, Rounded, Underflow
from typing import Any

# DynamoDB numbers: up to 38 significant digits, exponent in [-130, 125] (boto3's DYNAMODB_CONTEXT).
_NUMBERS = Context(Emin=-128, Emax=126, prec=38, traps=[Clamped, Overflow, Inexact, Rounded, Underflow])


def _number(value: int | float | Decimal) -> str:
    if isinstance(value, float):
        value = Decimal(repr(value))
    try:
        text = str(_NUMBERS.create_decimal(value))
    except DecimalException as exc:
        raise TypeError(f"{value} does not fit a DynamoDB number (38 significant digits, exponent -130..125)") from exc
    if text in ("Infinity", "-Infinity", "NaN", "sNaN", "-NaN"):
        raise TypeError(f"{text} is not a DynamoDB number")
    return text


def _scalar_set(values: Set[Any]) -> dict[str, Any]:
    if not values:
        raise TypeError("DynamoDB cannot store an empty set")
    if all(isinstance(v, str) for v in values):
        return {"SS": list(values)}
    if all(isinstance(v, int | float | Decimal) and not isinstance(v, bool) for v in values):
        return {"NS": [_number(v) for v in values]}
    if all(isinstance(v, bytes | bytearray) for v in values):
        return {"BS": [bytes(v) for v in values]}
    raise TypeError("a set must hold only strings, only numbers or only bytes")


def to_attribute(value: Any) -> dict[str, Any]:
    """One Python value as a DynamoDB ``AttributeValue``."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, int | float | Decimal):
        return {"N": _number(value)}
    if isinstance(value, bytes | bytearray):
        return {"B": bytes(value)}
    if isinstance(value, Mapping):
        return {"M": {str(k): to_attribute(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [to_attribute(v) for v in value]}
    if isinstance(value, Set):
        return _scalar_set(value)
    raise TypeError(f"{type(value).__name__} cannot be stored in DynamoDB")


def _from_number(text: str) -> int | float:
    number = Decimal(text)
    return int(number) if number == number.to_integral_value() else float(number)


def from_attribute(attribute: Mapping[str, Any]) -> Any:
    """One DynamoDB ``AttributeValue`` as a Python value."""
    ((kind, value),) = attribute.items()
    if kind == "S":
        return value
    if kind == "N":
        return _from_number(value)
    if kind == "BOOL":
        return bool(value)
    if kind == "NULL":
        return None
    if kind == "M":
        return {k: from_attribute(v) for k, v in value.items()}
    if kind == "L":
        return [from_attribute(v) for v in value]
    if kind == "B":
        return bytes(value)
    if kind == "SS":
        return set(value)
    if kind == "NS":
        return {_from_number(v) for v in value}
    if kind == "BS":
        return {bytes(v) for v in value}
    raise TypeError(f"unknown DynamoDB attribute type {kind}")


def serialize(item: Mapping[str, Any]) -> dict[str, Any]:
    """An item (or a key, or expression values) in DynamoDB's wire format."""
    return {k: to_attribute(v) for k, v in item.items()}


def deserialize(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: from_attribute(v) for k, v in item.items()}
