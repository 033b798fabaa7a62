"""Node public-address registration, in both forms the Atoma proxy has served:

- ``POST /proxy/v1/nodes`` (``{data, signature}``): the proxy ignores the request text, rebuilds compact JSON of
  ``data`` in struct order (node_small_id, public_address, country, then ``timestamp`` when sent), hashes it with
  BLAKE2b-256 and checks a raw Sui signature over that digest;
- ``POST /proxy/node/registration`` (the first form): the bare ``data`` as the body, the signature in the
  ``X-Signature`` header over BLAKE2b-256 of the raw body bytes.

Both check the same things and write the same node record. The signer must be the address that registered the
node on chain. Replays: a registration carrying a ``timestamp`` (Unix seconds, the successor protocol's field)
must be newer than the last one accepted; one without is still accepted (atoma-sdk 0.1.3 nodes send none) unless
the node's operator required timestamps (``/daemon/registration_policy``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from nodeplane import clock, store
from nodeplane.errors import DomainError, NotFound
from nodeplane.network import items
from nodeplane.network.addresses import AddressRefused, check_country, check_public_address
from nodeplane.settings import settings
from nodeplane.store.dynamo import TransactionFailed

MAX_CLOCK_SKEW_SECONDS = 300  # a timestamp this far ahead would lock the node out of its own later registrations
U64_MAX = 2**64 - 1


class InvalidBody(DomainError):
    """The seed's `InvalidBody`: the body does not parse, the signature is invalid or is not the node's."""

    status, title, code = 400, "Bad Request", "InvalidBody"


class MissingHeader(DomainError):
    status, title, code = 400, "Bad Request", "MissingHeader"


class InvalidHeader(DomainError):
    status, title, code = 400, "Bad Request", "InvalidHeader"


@dataclass(frozen=True)
class Assignment:
    node_small_id: int
    public_address: str
    country: str
    timestamp: int | None = None


def register(data: Assignment, signature: str) -> None:
    """``POST /proxy/v1/nodes``: the signature covers the canonical bytes of ``data``."""
    from nodeplane.chain.signatures import SignatureError, registration_digest, verify_serialized

    _check(data)
    digest = registration_digest(data.node_small_id, data.public_address, data.country, data.timestamp)
    try:
        signer = verify_serialized(signature, digest)
    except SignatureError as exc:
        raise InvalidBody(f"Failed to verify signature: {exc}") from exc
    _apply(data, signer.address)


def register_legacy(body: bytes, signature: str | None) -> None:
    """``POST /proxy/node/registration``: the ``X-Signature`` header covers the raw body bytes."""
    from nodeplane.chain.signatures import SignatureError, blake2b256, decode_serialized, verify_serialized

    if not signature:
        raise MissingHeader("the X-Signature header is missing")
    try:
        decode_serialized(signature)
    except SignatureError as exc:
        raise InvalidHeader(f"the X-Signature header is not a Sui signature: {exc}") from exc
    data = parse_legacy_body(body)
    _check(data)
    try:
        signer = verify_serialized(signature, blake2b256(body))
    except SignatureError as exc:
        raise InvalidBody(f"Failed to verify signature: {exc}") from exc
    _apply(data, signer.address)


def parse_legacy_body(body: bytes) -> Assignment:
    """The bare ``{node_small_id, public_address, country[, timestamp]}`` of the first registration form."""
    try:
        raw = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise InvalidBody(f"the body is not JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise InvalidBody("the body must be a JSON object")
    node, address, country, timestamp = (
        raw.get(k) for k in ("node_small_id", "public_address", "country", "timestamp")
    )
    if not isinstance(node, int) or not _u64(node):
        raise InvalidBody("node_small_id must be an unsigned 64-bit integer")
    if not isinstance(address, str) or not isinstance(country, str):
        raise InvalidBody("public_address and country must be strings")
    if timestamp is not None and not _u64(timestamp):
        raise InvalidBody("timestamp must be an unsigned 64-bit integer (Unix seconds)")
    return Assignment(node, address, country, timestamp)


def _u64(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= U64_MAX


def _check(data: Assignment) -> None:
    try:
        check_public_address(data.public_address, allow_private=settings().allow_private_node_addresses == "true")
        check_country(data.country)
    except AddressRefused as exc:
        raise InvalidBody(str(exc)) from exc
    if data.timestamp is not None and data.timestamp > clock.now() + MAX_CLOCK_SKEW_SECONDS:
        raise InvalidBody(f"timestamp {data.timestamp} is in the future")


def _apply(data: Assignment, signer: str) -> None:
    node_small_id = data.node_small_id
    node = store.get(items.node_pk(node_small_id), "NODE")
    if not node:
        raise NotFound(f"node {node_small_id} is not registered on chain")
    if signer != node["sui_address"]:
        raise InvalidBody("The sui address associated with the node small ID does not match the signature sui address")
    if data.timestamp is None:
        if requires_timestamp(str(node["sui_address"])):
            raise InvalidBody("this node's operator requires a signed timestamp in every registration")
        if node.get("public_address") == data.public_address and node.get("country") == data.country:
            return
    names = {"#ts": "address_timestamp"}
    values: dict[str, Any] = {":a": data.public_address, ":c": data.country, ":t": clock.iso()}
    expression = "SET public_address = :a, country = :c, address_updated_at = :t"
    condition = "attribute_exists(pk)"
    if data.timestamp is not None:
        expression += ", #ts = :ts"
        condition += " AND (attribute_not_exists(#ts) OR #ts < :ts)"
        values[":ts"] = data.timestamp
    try:
        store.transact(
            [
                store.update(
                    items.node_pk(node_small_id),
                    "NODE",
                    expression,
                    condition=condition,
                    names=names if data.timestamp is not None else None,
                    values=values,
                )
            ]
        )
    except TransactionFailed as exc:
        old = exc.failures[0].old if exc.failures else None
        if old is None:
            raise NotFound(f"node {node_small_id} is not registered on chain") from exc
        raise InvalidBody(
            f"timestamp {data.timestamp} is not newer than the last accepted registration "
            f"({old.get('address_timestamp')}): a replayed registration is refused"
        ) from exc


def requires_timestamp(operator_address: str) -> bool:
    policy = store.get(items.operator_key_pk(operator_address.lower()), items.REGISTRATION_POLICY, consistent=False)
    return bool(policy and policy.get("require_timestamp"))


def set_policy(operator_address: str, require_timestamp: bool) -> dict[str, bool]:
    """An operator's rule for its nodes' registrations (all of them, now and later)."""
    store.transact(
        [
            store.put(
                {
                    "pk": items.operator_key_pk(operator_address.lower()),
                    "sk": items.REGISTRATION_POLICY,
                    "require_timestamp": require_timestamp,
                    "updated_at": clock.iso(),
                }
            )
        ]
    )
    return {"require_timestamp": require_timestamp}


def policy(operator_address: str) -> dict[str, bool]:
    return {"require_timestamp": requires_timestamp(operator_address)}
