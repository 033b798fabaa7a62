"""Wire models of the inference network's APIs: `/proxy` (proxy.py, as atoma-sdk names the fields) and `/daemon`
(daemon.py, as the node daemon names them).

This module holds the shared types and bases; each API's models live in their own module so a handler imports, and
pays the class construction of, only its own API's models. Every model defers building its validator to first use.
"""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt

# Small ids, compute units and prices: Sui's u64
U64 = Annotated[StrictInt, Field(ge=0, le=2**64 - 1)]


class Model(BaseModel):
    """A request or reply: fields as declared (strict types where a field says so), unknown keys ignored."""

    model_config = ConfigDict(defer_build=True)


class StrictModel(BaseModel):
    """Signed data and the daemon's task requests: no value is coerced, even where a field's type would allow it."""

    model_config = ConfigDict(strict=True, defer_build=True)
