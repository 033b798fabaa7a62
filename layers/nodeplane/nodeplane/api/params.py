"""Bounds shared by every handler's path parameters: ids a DynamoDB key can hold, small ids that fit Sui's u64."""

from __future__ import annotations

import re
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path

from nodeplane.errors import BadRequest

ID_MAX_LENGTH = 128  # nodeplane's ids are UUIDs or short hashes; a sort key holds at most 1,024 bytes
U64_MAX = 2**64 - 1

Id = Annotated[str, Path(min_length=1, max_length=ID_MAX_LENGTH)]

_DIGITS = re.compile(r"[0-9]{1,20}")


def small_id(value: str, name: str) -> int:
    """A path segment as a Sui small id (u64), or a 400 naming the parameter."""
    if _DIGITS.fullmatch(value) is None or int(value) > U64_MAX:
        raise BadRequest(f"{name} must be an integer from 0 to {U64_MAX}")
    return int(value)
