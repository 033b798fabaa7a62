"""The ``atoma::db`` contract's constants and cost rules, in one place.

The local ledger applies them, the network domain reads them (stack size, security levels, the proof's leaf
count), and the Sui GraphQL stand-in renders events and objects with the Move layouts below. Values follow
db.move (tests/unit/chain/test_ledger.py checks the ledger applies them). Import-light: the standard library only.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final


class SecurityLevel(IntEnum):
    """A task's security level (db.move numbering)."""

    NONE = 0
    CONFIDENTIAL = 1
    SAMPLING_CONSENSUS = 2


CONFIDENTIAL: Final = SecurityLevel.CONFIDENTIAL
SAMPLING_CONSENSUS: Final = SecurityLevel.SAMPLING_CONSENSUS

COMPUTE_UNITS_PER_STACK: Final = 1_000_000  # price is per one million units; one stack holds this many
SAMPLING_CONSENSUS_CHARGE_PERMILLE: Final = 1212  # a level-2 stack costs 21.2% more (fee 1200‰ + attestation 12‰)
SAMPLING_CONSENSUS_FEE_PERMILLE: Final = 1200  # what the selected node earns per claimed unit on level 2
EXTRA_ATTESTATION_NODES: Final = 1  # sampled per level-2 settlement; the proof covers 1 + this many leaves
CROSS_VALIDATION_PROBABILITY_PERMILLE: Final = 10
DISPUTE_WINDOW_EPOCHS: Final = 1
PROOF_BYTES: Final = 32  # committed stack proofs and merkle leaves
INITIAL_REPUTATION: Final = 50
MAX_REPUTATION: Final = 100
MAX_TASK_ROLE: Final = 7
MAX_DEVICE_TYPE: Final = 15_999

SUI_COIN_TYPE: Final = "0x2::coin::Coin<0x2::sui::SUI>"
RANDOM_OBJECT_ID: Final = "0x" + "0" * 63 + "8"  # the shared Random object
MODULE: Final = "db"


# Abort constants the local ledger raises (MoveAbortInfo.name); tests/unit/chain/test_ledger_shape.py keeps it whole.
ABORT_NAMES: Final[frozenset[str]] = frozenset(
    {
        "EAlreadySubscribed",
        "EDisputeWindowClosed",
        "EDisputeWindowNotOver",
        "EInsufficientBalance",
        "EInsufficientTreasury",
        "EInvalidCoinType",
        "EInvalidCommittedStackProof",
        "EInvalidComputeUnits",
        "EInvalidDeviceType",
        "EInvalidInput",
        "EInvalidKeyRotationCounter",
        "EInvalidMinimumReputationScore",
        "EInvalidPrice",
        "EInvalidSecurityLevel",
        "EInvalidTaskRole",
        "ENoNodesEligibleForTask",
        "ENodeNotSelectedForAttestation",
        "ENodeNotWhitelisted",
        "ENodeReputationTooLow",
        "ENotAuthorized",
        "ENotConfidentialCompute",
        "ENotNodeBadge",
        "ENotSamplingConsensus",
        "ENotStackOwner",
        "ENotSubscribed",
        "ENotTaskOwner",
        "EPublicKeyMismatch",
        "EStackAlreadyClaimed",
        "EStackInDispute",
        "EStackInSettlementAlready",
        "EStackNotFound",
        "EStackNotInDispute",
        "EStackNotInSettlement",
        "ETaskDeprecated",
        "ETaskNotFound",
        "ETooManyComputedUnits",
        # Sui's own execution errors of the coin commands (SplitCoins, MergeCoins, TransferObjects)
        "InsufficientCoinBalance",
        "UnusedValueWithoutDrop",
    }
)


def stack_cost(price: int, num_compute_units: int, security_level: int) -> int:
    """What ``acquire_new_stack_entry`` charges: ``price`` per million units, times 1212‰ on sampling consensus."""
    cost = price * num_compute_units // COMPUTE_UNITS_PER_STACK
    if security_level == SAMPLING_CONSENSUS:
        return cost * SAMPLING_CONSENSUS_CHARGE_PERMILLE // 1000
    return cost


def node_fee(security_level: int, claimed_units: int, price: int) -> int:
    """What the selected node earns for ``claimed_units`` (the rest of the stack's cost goes back to its owner)."""
    if security_level == SAMPLING_CONSENSUS:
        return claimed_units * price * SAMPLING_CONSENSUS_FEE_PERMILLE // (COMPUTE_UNITS_PER_STACK * 1000)
    return claimed_units * price // COMPUTE_UNITS_PER_STACK


def coin_type(marker: str) -> str:
    """``0x2::coin::Coin<marker>`` (e.g. the USDC coin type from its marker ``<package>::usdc::USDC``)."""
    return f"0x2::coin::Coin<{marker}>"


# ---------------------------------------------------------------- Move layouts of what db.move emits and owns
# Field types in Move syntax. "ID" is 0x2::object::ID, "ascii" 0x1::ascii::String, a "<X>SmallId"/"TaskRole"/
# "SecurityLevel" is a one-field struct {inner}. The GraphQL stand-in renders events and objects from these.

_SMALL_ID: Final = "u64"
WRAPPERS: Final[dict[str, str]] = {
    "NodeSmallId": _SMALL_ID,
    "TaskSmallId": _SMALL_ID,
    "StackSmallId": _SMALL_ID,
    "TaskRole": "u16",
    "SecurityLevel": "u16",
}

_SUBSCRIPTION: Final = (
    ("task_small_id", "TaskSmallId"),
    ("node_small_id", "NodeSmallId"),
    ("price_per_one_million_compute_units", "u64"),
    ("max_num_compute_units", "u64"),
)

EVENT_FIELDS: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "NodeRegisteredEvent": (("badge_id", "ID"), ("node_small_id", "NodeSmallId")),
    "NodePublicKeyCommittmentEvent": (
        ("epoch", "u64"),
        ("key_rotation_counter", "u64"),
        ("node_id", "NodeSmallId"),
        ("new_public_key", "vector<u8>"),
        ("device_type", "u16"),
        ("evidence_bytes", "vector<u8>"),
    ),
    "TaskRegisteredEvent": (
        ("task_id", "ID"),
        ("task_small_id", "TaskSmallId"),
        ("role", "TaskRole"),
        ("model_name", "option<ascii>"),
        ("security_level", "SecurityLevel"),
        ("minimum_reputation_score", "option<u8>"),
    ),
    "TaskDeprecationEvent": (("task_id", "ID"), ("task_small_id", "TaskSmallId"), ("epoch", "u64")),
    "NewKeyRotationEvent": (("key_rotation_counter", "u64"), ("epoch", "u64"), ("nonce", "u64")),
    "NodeSubscribedToTaskEvent": _SUBSCRIPTION,
    "NodeSubscriptionUpdatedEvent": _SUBSCRIPTION,
    "NodeUnsubscribedFromTaskEvent": (("task_small_id", "TaskSmallId"), ("node_small_id", "NodeSmallId")),
    "StackCreatedEvent": (
        ("stack_id", "ID"),
        ("stack_small_id", "StackSmallId"),
        ("owner", "address"),
        ("task_small_id", "TaskSmallId"),
        ("selected_node_id", "NodeSmallId"),
        ("num_compute_units", "u64"),
        ("price_per_one_million_compute_units", "u64"),
    ),
    "StackTrySettleEvent": (
        ("stack_small_id", "StackSmallId"),
        ("selected_node_id", "NodeSmallId"),
        ("requested_attestation_nodes", "vector<NodeSmallId>"),
        ("committed_stack_proof", "vector<u8>"),
        ("stack_merkle_leaf", "vector<u8>"),
        ("num_claimed_compute_units", "u64"),
    ),
    "StackAttestationDisputeEvent": (
        ("stack_small_id", "StackSmallId"),
        ("attestation_commitment", "vector<u8>"),
        ("attestation_node_id", "NodeSmallId"),
        ("original_node_id", "NodeSmallId"),
        ("original_commitment", "vector<u8>"),
    ),
    "NewStackSettlementAttestationEvent": (
        ("stack_small_id", "StackSmallId"),
        ("attestation_node_id", "NodeSmallId"),
        ("committed_stack_proof", "vector<u8>"),
        ("stack_merkle_leaf", "vector<u8>"),
    ),
    "StackSettlementTicketEvent": (
        ("stack_small_id", "StackSmallId"),
        ("selected_node_id", "NodeSmallId"),
        ("num_claimed_compute_units", "u64"),
        ("requested_attestation_nodes", "vector<NodeSmallId>"),
        ("dispute_settled_at_epoch", "u64"),
        ("committed_stack_proof", "vector<u8>"),
    ),
    "StackDisputeResolvedEvent": (
        ("stack_small_id", "StackSmallId"),
        ("selected_node_id", "NodeSmallId"),
        ("original_is_correct", "bool"),
        ("user_refund_amount", "u64"),
    ),
    "StackSettlementTicketClaimedEvent": (
        ("stack_small_id", "StackSmallId"),
        ("selected_node_id", "NodeSmallId"),
        ("attestation_nodes", "vector<NodeSmallId>"),
        ("num_claimed_compute_units", "u64"),
        ("user_refund_amount", "u64"),
    ),
    "ClaimedStackEvent": (
        ("stack_small_id", "StackSmallId"),
        ("selected_node_id", "NodeSmallId"),
        ("num_claimed_compute_units", "u64"),
        ("user_refund_amount", "u64"),
    ),
}

# Owned and shared objects of the local ledger (besides the UID every object has).
OBJECT_FIELDS: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "AtomaDb": (),
    "AtomaManagerBadge": (),
    "NodeBadge": (("node_small_id", "u64"),),
    "TaskBadge": (("task_small_id", "u64"),),
    "StackBadge": (("stack_small_id", "u64"),),
}
COIN_FIELDS: Final = (("balance", "Balance"),)
