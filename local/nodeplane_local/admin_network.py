"""Admin commands for the local network: `nodeplane-local admin create-task | rotate-keys | credit | buy-stack |
advance-epoch | resolve-dispute | coin-pool`. They work on the in-process ledger and on a Sui GraphQL stand-in
(`nodeplane-local run --sui-rpc`) alike: every chain call goes through the same chain operations."""

from __future__ import annotations

import argparse
import json

from nodeplane_local.admin import AdminContext, register


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
    from nodeplane.network import chain_events, chainops, projection

    ops = chainops.ops()
    result = ops.admin_call("create_task_entry", [args.role, args.model, args.security_level, None, True])
    if not result.ok:
        print(f"failed: {result.error}")
        return 1
    chain_events.apply(result.events)
    task = result.event("TaskRegisteredEvent") or {}
    print(json.dumps({"tx_digest": result.digest, "task_small_id": projection.small(task.get("task_small_id", 0))}))
    return 0


def _rotate(ctx: AdminContext, args: argparse.Namespace) -> int:
    from nodeplane.network import chain_events, chainops

    result = chainops.ops().admin_call("new_network_key_rotation", [])
    chain_events.apply(result.events)
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


def _buy_stack_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--user", required=True, help="the tenant (JWT subject) whose balance pays for the stack")
    parser.add_argument("--task", type=int, required=True, help="task small id (any security level)")
    parser.add_argument("--price", type=int, required=True, help="price cap per one million compute units")
    parser.add_argument("--units", type=int, default=1_000_000, help="compute units of the stack")
    parser.add_argument("--request-id", help="names the purchase: the same id again never buys a second stack")


def _buy_stack(ctx: AdminContext, args: argparse.Namespace) -> int:
    """What the proxy does for requests that are not confidential (which nodeplane does not serve): buy a stack,
    through the same purchase saga as a lock's (network/purchases/)."""
    import uuid

    from nodeplane import store
    from nodeplane.chain.contract import stack_cost
    from nodeplane.errors import DomainError
    from nodeplane.network import chain_events, items, projection
    from nodeplane.network.purchases import saga
    from nodeplane.network.purchases.intents import DONE, Order

    task = store.get(items.task_pk(args.task), "TASK")
    if not task:
        print(json.dumps({"error": f"unknown task {args.task}"}))
        return 1
    level = int(task.get("security_level", 1))
    cost = stack_cost(args.price, args.units, level)
    request_id = getattr(args, "request_id", None) or uuid.uuid4().hex
    order = Order(args.user, args.task, args.price, args.units, cost, request_id, level)
    try:
        saga.begin(order)
        result = saga.run(order)
    except saga.IntentExists as exc:
        result = saga.current(args.user, str(exc.intent["intent_id"]))
    except DomainError as exc:
        print(json.dumps({"error": exc.detail}))
        return 1
    if result.state != DONE or result.stack is None:
        print(json.dumps({"error": f"purchase {result.state}: {result.reason}", "tx_digest": result.digest}))
        return 1
    if result.outcome is not None:
        chain_events.apply(result.outcome.events)  # the poller would; a purchase is visible at once
    stack = result.stack
    print(
        json.dumps(
            {
                "tx_digest": result.digest,
                "stack_small_id": projection.small(stack["stack_small_id"]),
                "selected_node_id": projection.small(stack["selected_node_id"]),
                "cost": cost,
                "intent_id": order.intent_id,
            }
        )
    )
    return 0


def _advance_epoch_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--epochs", type=int, default=1)


def _advance_epoch(ctx: AdminContext, args: argparse.Namespace) -> int:
    """A development ledger has no epoch clock: settlements become claimable on chain once an admin turns it."""
    from nodeplane.network import chainops

    ledger = getattr(chainops.ops(), "ledger", None)
    if ledger is not None:
        print(json.dumps({"epoch": ledger.advance_epoch(args.epochs)}))
        return 0
    answer = _stand_in(ctx, "advance-epoch", {"epochs": args.epochs})
    print(json.dumps(answer))
    return 0 if "epoch" in answer else 1


def _stand_in(ctx: AdminContext, route: str, body: dict[str, object]) -> dict[str, object]:
    """A development route of the Sui GraphQL stand-in the runtime talks to (nodeplane_local/sui_rpc/dev.py)."""
    import urllib.error
    import urllib.request

    url = ctx.env.get("SUI_RPC_URL", "")
    if not url.endswith("/graphql"):
        return {"error": "this deployment's chain keeps its own epochs"}
    request = urllib.request.Request(
        url.removesuffix("/graphql") + f"/dev/{route}",
        json.dumps(body).encode(),
        {"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            answer: dict[str, object] = json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return {"error": f"the network at {url} offers no {route}: {exc}"}
    return answer


def _resolve_dispute_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stack", type=int, required=True, help="stack small id of the disputed settlement")
    parser.add_argument(
        "--outcome",
        required=True,
        choices=("node", "attesters"),
        help="node: its claim was right and it is paid; attesters: the stack's owner is refunded",
    )


def _resolve_dispute(ctx: AdminContext, args: argparse.Namespace) -> int:
    from nodeplane.network import chain_events, chainops
    from nodeplane.network.settlement import tickets

    result = chainops.ops().admin_call("resolve_attestation_dispute", [args.stack, args.outcome == "node"])
    if result.ok:
        chain_events.apply(result.events)
    elif result.error == "EStackNotInDispute":
        # only nodeplane saw the disagreement (the chain's ticket is not in dispute): decide in nodeplane
        tickets.resolve_dispute(args.stack, args.outcome)
    else:
        print(json.dumps({"tx_digest": result.digest, "ok": False, "error": result.error}))
        return 1
    item = tickets.ticket(args.stack) or {}
    status = item.get("settlement_status")
    print(json.dumps({"tx_digest": result.digest, "ok": result.ok, "error": result.error, "settlement_status": status}))
    return 0


def _coin_pool_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--wallet", choices=("purchaser", "admin", "all"), default="all")
    parser.add_argument("--size", type=int, help="gas (and payment) coins to keep (default COIN_POOL_SIZE)")
    parser.add_argument("--gas-mist", type=int, help="MIST per gas coin (default COIN_POOL_GAS_MIST)")


def _coin_pool(ctx: AdminContext, args: argparse.Namespace) -> int:
    """Split and merge nodeplane's wallets' coins now (what the CoinPoolFunction schedule does)."""
    from nodeplane.network import chainops, coin_pool

    ops = chainops.ops()
    wallets = coin_pool.WALLETS if args.wallet == "all" else (args.wallet,)
    out = {w: coin_pool.maintain(ops, w, size=args.size, gas_mist=args.gas_mist) for w in wallets}
    print(json.dumps(out))
    return 0


register("create-task", "create a task on the local ledger", _create_task_parser, _create_task)
register("coin-pool", "split and merge the coins of nodeplane's wallets now", _coin_pool_parser, _coin_pool)
register("rotate-keys", "start a new network key rotation on the local ledger", lambda p: None, _rotate)
register("credit", "credit a user's USDC balance for stack purchases", _credit_parser, _credit)
register("buy-stack", "buy a stack of any task for a user (paid from their balance)", _buy_stack_parser, _buy_stack)
register("advance-epoch", "turn the local ledger's epoch (ends dispute windows)", _advance_epoch_parser, _advance_epoch)
register(
    "resolve-dispute", "resolve a settlement dispute on the local ledger", _resolve_dispute_parser, _resolve_dispute
)
