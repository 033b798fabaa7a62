"""Admin commands for the local network: `nodeplane-local admin create-task | rotate-keys | credit`."""

from __future__ import annotations

import argparse
import json

from nodeplane.local.admin import AdminContext, register


def _create_task_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="model name, e.g. meta-llama/Llama-3.3-70B-Instruct")
    parser.add_argument(
        "--security-level",
        type=int,
        default=1,
        choices=(0, 1, 2),
        help="0 none, 1 confidential compute, 2 sampling consensus",
    )
    parser.add_argument("--role", type=int, default=0)


def _create_task(ctx: AdminContext, args: argparse.Namespace) -> int:
    from nodeplane.network import chainops, projection

    ops = chainops.ops()
    result = ops.admin_call("create_task_entry", [args.role, args.model, args.security_level, None, True])
    if not result.ok:
        print(f"failed: {result.error}")
        return 1
    for event in result.events:
        projection.apply(event)
    task = result.event("TaskRegisteredEvent") or {}
    print(json.dumps({"tx_digest": result.digest, "task_small_id": projection.small(task.get("task_small_id", 0))}))
    return 0


def _rotate(ctx: AdminContext, args: argparse.Namespace) -> int:
    from nodeplane.network import chainops, projection

    result = chainops.ops().admin_call("new_network_key_rotation", [])
    for event in result.events:
        projection.apply(event)
    print(json.dumps({"tx_digest": result.digest, "ok": result.ok, "error": result.error}))
    return 0 if result.ok else 1


def _credit_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--user", required=True, help="the tenant (JWT subject) to credit")
    parser.add_argument("--amount", type=int, required=True, help="USDC base units")


def _credit(ctx: AdminContext, args: argparse.Namespace) -> int:
    from nodeplane.network import balances

    balances.credit(args.user, args.amount)
    print(json.dumps({"user": args.user, "balance": balances.balance(args.user)}))
    return 0


register("create-task", "create a task on the local ledger", _create_task_parser, _create_task)
register("rotate-keys", "start a new network key rotation on the local ledger", lambda p: None, _rotate)
register("credit", "credit a user's USDC balance for stack purchases", _credit_parser, _credit)
