"""Secrets handling: envelope encryption with KMS (nothing is stored or logged in the clear)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import boto3


@lru_cache(maxsize=1)
def kms() -> Any:
    return boto3.client("kms")
