"""Every item of the inference network in the single table (the pool's are in pool/keys.py): how each key is built.

Chain state projected from chain events, and what nodeplane keeps beside it:

| item                 | pk                       | sk                 | written by                                |
|----------------------|--------------------------|--------------------|-------------------------------------------|
| network node         | NNODE#<node>             | NODE               | NodeRegisteredEvent, key commitments      |
| subscription         | NNODE#<node>             | SUB#<task:012>     | subscription events                       |
| task                 | TASK#<task>              | TASK               | TaskRegisteredEvent, TaskDeprecationEvent |
| task of a model      | MODEL#<model name>       | TASK#<task:012>    | TaskRegisteredEvent, TaskDeprecationEvent |
| key rotation         | KEYROT                   | CURRENT            | NewKeyRotationEvent                       |
| stack                | STACK#<stack>            | STACK              | StackCreatedEvent or a purchase (locks)   |
| settlement ticket    | STACK#<stack>            | TICKET             | settlement                                |
| attestation dispute  | STACK#<stack>            | DISPUTE#<node:012> | StackAttestationDisputeEvent              |
| chain step guard     | STACK#<stack>            | STEP#<step name>   | settlement's guarded chain calls          |
| usage report         | STACK#<stack>            | USAGE#<request id> | usage reports (a replay counts once)      |
| purchase guard       | PURCHASE#<user>#<task>   | GUARD              | locks: one stack purchase at a time       |
| purchase intent      | BALANCE#<user>           | INTENT#<intent id> | purchases: the saga of one stack purchase |
| digest claim         | PURCHASETX#<tx digest>   | CLAIM              | purchases: one intent per transaction     |
| applied chain event  | CHAINEVENT#<tx digest>   | <event seq>        | chain_events.apply (an event counts once) |
| event cursor         | CHAINCURSOR              | CURSOR             | chain_events.poll                         |
| operator identity    | OPERATOR#<tenant>        | SUI                | operators.import_key (sui_address)        |
| operator key         | OPKEY#<sui address>      | KEY                | operators.import_key (sealed keystore)    |
| registration policy  | OPKEY#<sui address>      | POLICY             | registration.set_policy (require_timestamp)|
| nodeplane wallet     | CHAINKEY#<purpose>       | KEY                | operators.wallet (sealed keystore)        |
| USDC balance         | BALANCE#<user>           | USDC               | balances                                  |
| owned object         | OWNED#<sui address>      | <KIND>#<object id> | owned: a coin or badge a wallet spends    |
| wallet lease         | OWNED#<sui address>      | LEASE              | owned: one operator transaction at a time |
| submitted tx         | CHAINTX#<tx digest>      | TX                 | owned: its owned inputs (lookup, fencing) |

The indexes (each sparse: an item is in one only while the attributes are set):

| index | pk                   | sk                      | holds                                                    |
|-------|----------------------|-------------------------|----------------------------------------------------------|
| gsi1  | SUBS#<task>          | <price:020>#<node:012>  | subscriptions that can be sold now (valid, task live)    |
| gsi1  | TASKS                | <task:012>              | every task                                               |
| gsi1  | USTACK#<user>#<task> | <price:020>#<stack:012> | stacks bought for a user, cheapest first                 |
| gsi1  | NTICKET#<node>       | <stack:012>             | settlement tickets of the stacks a node sold             |
| gsi2  | OPNODES#<address>    | <node:012>              | network nodes an operator's address registered           |
| gsi2  | NSTACK#<node>        | <stack:012>             | stacks a node sold                                       |
| gsi3  | LOCKEXP#<stack % 4>  | <ms:015>#<stack:012>    | stacks holding locks, at or before their earliest expiry |
| gsi3  | SETTLEMENTS          | <due:012>#<stack:012>   | tickets with work left, by when the sweeper looks again  |
| gsi3  | PURCHASES            | <due:012>#<intent id>   | purchase intents in flight, by when the sweeper may act  |

"Cheapest node for a task" is one Query of gsi1 sorted by price; the sweepers read only the due part of gsi3.
A user's money is one partition (``BALANCE#<user>``): the balance and every purchase intent drawn on it.
"""

from __future__ import annotations

# --- chain state --------------------------------------------------------------------------------------------------


def node_pk(node_small_id: int) -> str:
    return f"NNODE#{node_small_id}"


def small_id_sk(small_id: int) -> str:
    """The index sort key of an item named by a small id (node, task, stack): in id order."""
    return f"{small_id:012d}"


def operator_nodes_pk(address: str) -> str:
    return f"OPNODES#{address}"


SUB_PREFIX = "SUB#"


def sub_sk(task_small_id: int) -> str:
    return f"{SUB_PREFIX}{task_small_id:012d}"


def subs_index_pk(task_small_id: int) -> str:
    return f"SUBS#{task_small_id}"


def price_key(price: int, small_id: int) -> str:
    """The index sort key of a subscription (node id) or a user's stack (stack id): cheapest first."""
    return f"{price:020d}#{small_id:012d}"


TASKS = "TASKS"


def task_pk(task_small_id: int) -> str:
    return f"TASK#{task_small_id}"


MODEL_TASK_PREFIX = "TASK#"


def model_pk(model: str) -> str:
    return f"MODEL#{model}"


def model_task_sk(task_small_id: int) -> str:
    return f"{MODEL_TASK_PREFIX}{task_small_id:012d}"


KEYROT = "KEYROT"


# --- stacks, their locks and settlement ---------------------------------------------------------------------------


def stack_pk(stack_small_id: int) -> str:
    return f"STACK#{stack_small_id}"


def user_stacks_pk(user: str, task_small_id: int) -> str:
    return f"USTACK#{user}#{task_small_id}"


def node_stacks_pk(node_small_id: int) -> str:
    return f"NSTACK#{node_small_id}"


def node_tickets_pk(node_small_id: int) -> str:
    return f"NTICKET#{node_small_id}"


LOCK_EXPIRY_SHARDS = 4  # spreads the lock expiry index over a few partitions


def lock_expiry_pk(stack_small_id: int) -> str:
    return lock_expiry_shard_pk(stack_small_id % LOCK_EXPIRY_SHARDS)


def lock_expiry_shard_pk(shard: int) -> str:
    return f"LOCKEXP#{shard}"


def lock_expiry_sk(expires_at_ms: int, stack_small_id: int) -> str:
    return f"{expires_at_ms:015d}#{stack_small_id:012d}"


def lock_expiry_until(at_ms: int) -> str:
    """The upper bound of the lock expiry sort keys at or before ``at_ms``."""
    return f"{at_ms:015d}~"


def purchase_guard_pk(user: str, task_small_id: int) -> str:
    return f"PURCHASE#{user}#{task_small_id}"


SETTLEMENTS = "SETTLEMENTS"


def settlement_due_sk(due: float, stack_small_id: int) -> str:
    return f"{int(due):012d}#{stack_small_id:012d}"


def dispute_sk(attestation_node_id: int) -> str:
    return f"DISPUTE#{attestation_node_id:012d}"


def step_sk(name: str) -> str:
    return f"STEP#{name}"


def usage_sk(request_id: str) -> str:
    return f"USAGE#{request_id}"


# --- chain events ---------------------------------------------------------------------------------------------------


def chain_event_pk(tx_digest: str) -> str:
    return f"CHAINEVENT#{tx_digest}"


CURSOR_PK = "CHAINCURSOR"


# --- operators, wallets and balances ------------------------------------------------------------------------------


def operator_pk(tenant: str) -> str:
    return f"OPERATOR#{tenant}"


def operator_key_pk(address: str) -> str:
    return f"OPKEY#{address}"


REGISTRATION_POLICY = "POLICY"  # sk of an operator's registration policy, beside its key


def chain_key_pk(purpose: str) -> str:
    return f"CHAINKEY#{purpose}"


def balance_pk(user: str) -> str:
    return f"BALANCE#{user}"


BALANCE_SK = "USDC"
INTENT_PREFIX = "INTENT#"


def intent_sk(intent_id: str) -> str:
    return f"{INTENT_PREFIX}{intent_id}"


def purchase_tx_pk(digest: str) -> str:
    return f"PURCHASETX#{digest}"


PURCHASES = "PURCHASES"


def purchase_due_sk(due: float, intent_id: str) -> str:
    return f"{int(due):012d}#{intent_id}"


def purchase_due_until(at: float) -> str:
    """The upper bound of the purchase-intent sort keys due at or before ``at``."""
    return f"{int(at):012d}~"


# --- owned objects of the wallets nodeplane signs for -------------------------------------------------------------


def owned_pk(address: str) -> str:
    return f"OWNED#{address}"


def owned_sk(kind: str, object_id: str) -> str:
    """``kind``: GAS (SUI coin), USDC (payment coin), BADGE (NodeBadge), ADMIN (AtomaManagerBadge)."""
    return f"{kind}#{object_id}"


WALLET_LEASE = "LEASE"


def chain_tx_pk(digest: str) -> str:
    return f"CHAINTX#{digest}"
