"""Secrets handling: envelope encryption with KMS (nothing is stored or logged in the clear)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from nodeplane import aws


@lru_cache(maxsize=1)
def kms() -> Any:
    return aws.client("kms")
