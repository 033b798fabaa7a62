"""The proof scheme of sampled settlements and the votes that decide a dispute: pure functions.

Everyone derives ``c = blake2b256("nodeplane/stack/v1" ‖ stack u64le ‖ units u64le)``,
``leaf_i = blake2b256(i u64le ‖ c)`` and ``proof = blake2b256(leaf_0 ‖ … ‖ leaf_E)`` with E =
``EXTRA_ATTESTATION_NODES``. The selected node commits ``(proof, leaf_0)``; the attester in slot i submits
``(proof, leaf_i)`` computed from nodeplane's own count of the stack's units. The chain's final check
``blake2b256(all leaves) == committed proof`` therefore holds exactly when everyone agrees on the units
(tests/unit/test_settlement_proofs.py).
"""

from __future__ import annotations

import hashlib
from typing import Any

from nodeplane.chain.contract import EXTRA_ATTESTATION_NODES


def _h(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=32).digest()


def stack_commitment(stack_small_id: int, units: int) -> bytes:
    return _h(b"nodeplane/stack/v1" + stack_small_id.to_bytes(8, "little") + units.to_bytes(8, "little"))


def leaf(stack_small_id: int, units: int, index: int) -> bytes:
    return _h(index.to_bytes(8, "little") + stack_commitment(stack_small_id, units))


def committed_proof(stack_small_id: int, units: int) -> bytes:
    """blake2b256(leaf_0 ‖ … ‖ leaf_E): what the chain recomputes from the leaves after the last attestation."""
    return _h(b"".join(leaf(stack_small_id, units, i) for i in range(1 + EXTRA_ATTESTATION_NODES)))


def votes(ticket: dict[str, Any]) -> tuple[int, int]:
    """(for the selected node, against it): the node votes for itself, each attester by its proof."""
    attestations = ticket.get("attestations", {}).values()
    against = sum(1 for a in attestations if not a.get("agrees", True))
    return 1 + sum(1 for a in attestations if a.get("agrees", True)), against
