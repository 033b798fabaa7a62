"""Node public-address registration (`POST /proxy/v1/nodes`), exactly as the Atoma proxy verifies it.

The proxy ignores the request text: it rebuilds compact JSON of ``data`` in struct order
(node_small_id, public_address, country), hashes it with BLAKE2b-256 and checks a raw Sui signature over
that digest; the signer's address must be the address that registered the node on chain.
"""

from __future__ import annotations

from nodeplane import clock, store
from nodeplane.errors import BadRequest, NotFound
from nodeplane.network import items
from nodeplane.store.dynamo import TransactionFailed


def register_public_address(node_small_id: int, public_address: str, country: str, signature: str) -> None:
    from nodeplane.chain.signatures import SignatureError, registration_digest, verify_serialized

    digest = registration_digest(node_small_id, public_address, country)
    try:
        signer = verify_serialized(signature, digest)
    except SignatureError as exc:
        raise BadRequest(f"Failed to verify signature: {exc}") from exc
    node = store.get(items.node_pk(node_small_id), "NODE")
    if not node:
        raise NotFound(f"node {node_small_id} is not registered on chain")
    if signer.address != node["sui_address"]:
        raise BadRequest("The sui address associated with the node small ID does not match the signature sui address")
    if node.get("public_address") == public_address and node.get("country") == country:
        return
    try:
        store.transact(
            [
                store.update(
                    items.node_pk(node_small_id),
                    "NODE",
                    "SET public_address = :a, country = :c, address_updated_at = :t",
                    condition="attribute_exists(pk)",
                    values={":a": public_address, ":c": country, ":t": clock.iso()},
                )
            ]
        )
    except TransactionFailed as exc:
        raise NotFound(f"node {node_small_id} is not registered on chain") from exc
