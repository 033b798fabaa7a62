"""The local ledger: an embedded stand-in for Sui + the ``atoma::db`` package when no Sui RPC is configured.

It accepts the same signed ``TransactionData`` bytes a Sui full node would, checks them the way Sui does
(signature by the sender, owned-object versions and digests, gas coin), applies the ``atoma::db`` rules with
their abort conditions, and emits events in Sui's JSON shape.

Modules: ``store`` (object store and commit), ``execution`` (signature, versions, gas, one transaction),
``atoma_db`` (the table of db functions, written in ``rules_network`` and ``rules_stacks`` over ``context``),
``genesis`` (genesis and faucet), ``local`` (``LocalLedger``, the public face).

Storage: one DynamoDB table (``pk``/``sk`` strings), every item ``{pk, sk, data: <json>}``:

    LEDGER / HEAD              version counter + counters, genesis ids, epoch, treasury, key rotation
    OBJ#<id> / OBJ             an object: type, owner ("shared" for AtomaDb), version, digest, fields
    OWNER#<address> / OBJ#<id> owner index for owned_objects()
    NODE#<small id> / NODE     node: badge id, sui address, reputation, public keys per rotation counter
    TASK#<small id> / TASK     task: role, model, security level, minimum reputation, deprecation
    TASK#<small id> / SUB#<node small id, 20 digits>   subscription: price, max units
    STACK#<small id> / STACK   stack: owner, task, selected node, units, cap price, claimed
    STACK#<small id> / TICKET  settlement ticket: proofs/leaves buffers (32·(1+n)), attesters, dispute state
    TX#<digest> / TX           the result of an applied transaction (resubmission returns it, never re-applies)
    EVENT / <seq, 20 digits>   one event; seq is the cursor of events_since()

Each transaction is applied with ONE TransactWriteItems whose first action puts the head conditional on the
version read at the start; a concurrent writer makes it fail and the whole transaction is re-executed on fresh
state. That serialises all transactions — fine for a local stand-in, and it makes double application impossible.

Where it deliberately differs from Atoma's published ``atoma::db`` package (tests/unit/chain/test_ledger.py
shows each):
* ticket proof/leaf buffers are sized 32·(1+n), one slot for the selected node and one per attester (the package
  sizes them 32·n, so with no attester the first write fails); attestation nodes are sampled without replacement
  among current subscribers (the package samples with replacement); only the selected node or a sampled
  attestation node may start a dispute (the package lets any badge holder).
* ``resolve_attestation_dispute(db, &AtomaManagerBadge, stack_small_id: u64, original_is_correct: bool)`` —
  the package has no way out of a dispute. The admin decides: if the selected node's commitment was right
  the dispute is cleared and the ticket becomes claimable as usual; otherwise the stack's full cost is
  refunded to its owner as a new Coin<USDC> and stack and ticket are removed. Emits
  ``StackDisputeResolvedEvent{stack_small_id, selected_node_id, original_is_correct, user_refund_amount}``.
* Gas: a flat ``gas_price · 1000`` MIST is charged from the first gas coin, also when the call aborts; a budget
  below that is refused before execution, as Sui refuses a budget below its minimum.
* Payments to nodes and refunds to owners are new Coin<USDC> objects (no fee-withdrawal epoch delay).
"""

from __future__ import annotations

from nodeplane.chain.access import TransactionRejected
from nodeplane.chain.contract import COMPUTE_UNITS_PER_STACK, EXTRA_ATTESTATION_NODES, MAX_DEVICE_TYPE, stack_cost
from nodeplane.chain.contract import RANDOM_OBJECT_ID as RANDOM_ID
from nodeplane.chain.contract import SUI_COIN_TYPE as SUI_COIN
from nodeplane.chain.ledger.context import MoveAbort
from nodeplane.chain.ledger.execution import GAS_UNITS_PER_TX, RANDOM_INITIAL_SHARED_VERSION, TxResult
from nodeplane.chain.ledger.local import LedgerBusy, LocalLedger
from nodeplane.chain.ledger.store import HEAD

__all__ = [
    "COMPUTE_UNITS_PER_STACK",
    "EXTRA_ATTESTATION_NODES",
    "GAS_UNITS_PER_TX",
    "HEAD",
    "MAX_DEVICE_TYPE",
    "RANDOM_ID",
    "RANDOM_INITIAL_SHARED_VERSION",
    "SUI_COIN",
    "LedgerBusy",
    "LocalLedger",
    "MoveAbort",
    "TransactionRejected",
    "TxResult",
    "stack_cost",
]
