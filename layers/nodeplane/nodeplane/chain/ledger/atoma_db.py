"""The ``atoma::db`` functions the ledger executes, by name: one explicit table.

Each takes the execution context and the call's arguments after the AtomaDb object, as
``transactions.ATOMA_DB_SCHEMA`` decodes them (owned objects as ObjectRef, shared ones as SharedObject).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from nodeplane.chain.ledger import rules_network as network
from nodeplane.chain.ledger import rules_stacks as stacks
from nodeplane.chain.ledger.context import Ctx, MoveAbort

MoveFunction = Callable[..., None]  # (ctx, *arguments) -> None; aborts raise MoveAbort

FUNCTIONS: Final[Mapping[str, MoveFunction]] = {
    "register_node_entry": network.register_node_entry,
    "rotate_node_public_key": network.rotate_node_public_key,
    "create_task_entry": network.create_task_entry,
    "deprecate_task": network.deprecate_task,
    "new_network_key_rotation": network.new_network_key_rotation,
    "subscribe_node_to_task": network.subscribe_node_to_task,
    "update_node_subscription": network.update_node_subscription,
    "unsubscribe_node_from_task": network.unsubscribe_node_from_task,
    "acquire_new_stack_entry": stacks.acquire_new_stack_entry,
    "try_settle_stack": stacks.try_settle_stack,
    "submit_stack_settlement_attestation": stacks.submit_stack_settlement_attestation,
    "start_attestation_dispute": stacks.start_attestation_dispute,
    "resolve_attestation_dispute": stacks.resolve_attestation_dispute,
    "claim_funds": stacks.claim_funds,
    "claim_funds_for_stacks": stacks.claim_funds_for_stacks,
    "withdraw_fees": stacks.withdraw_fees,
}


def call(ctx: Ctx, function: str, arguments: tuple[Any, ...]) -> None:
    """Run ``db::function`` with the arguments that follow the AtomaDb object."""
    target = FUNCTIONS.get(function)
    if target is None:
        raise MoveAbort(f"FunctionNotFound({function})")
    target(ctx, *arguments)
