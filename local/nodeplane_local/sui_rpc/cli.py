"""`nodeplane-local sui-rpc` (serve the local ledger as a Sui GraphQL endpoint) and `nodeplane-local sui-rpc-admin`
(the ledger's development affordances: a faucet for local wallets, the epoch, the network parameters)."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path
from typing import Any

DEFAULT_PORT = 9000


def cmd_serve(args: argparse.Namespace) -> int:
    from nodeplane_local.sui_rpc.service import StandIn, StandInError

    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    data_dir = Path(args.data_dir).resolve()
    print(f"nodeplane-local: starting the Sui GraphQL stand-in (data in {data_dir}/sui-rpc)…", file=sys.stderr)
    try:
        stand_in = StandIn.start(
            data_dir, port=args.port, host=args.host, cross_validation_permille=args.cross_validation_permille
        )
    except StandInError as exc:
        print(f"nodeplane-local: {exc}", file=sys.stderr)
        return 1
    state = stand_in.state
    try:
        print(
            f"""
  Sui GraphQL  {state["url"]}   (schema: vendor/sui-graphql/schema.graphql)
  Network      package {state["package"]}
               AtomaDb {state["atoma_db"]} (initial shared version {state["atoma_db_initial_shared_version"]})
               USDC    {state["usdc_type"]}
  Ledger admin {state["admin_address"]} (key in {data_dir}/sui-rpc/admin.keystore)
  Faucet       nodeplane-local sui-rpc-admin faucet --address 0x… --sui 1000000000 --usdc 1000000
  Data         {data_dir}/sui-rpc   (DynamoDB Local {state["dynamodb_url"]}; kept across restarts)
  Ctrl-C stops it.
""",
            file=sys.stderr,
            flush=True,
        )
        stop.wait()
    finally:
        print("nodeplane-local: stopping the Sui GraphQL stand-in…", file=sys.stderr, flush=True)
        stand_in.stop()
    return 0


def cmd_admin(args: argparse.Namespace) -> int:
    from nodeplane_local.sui_rpc.service import StandInError, connect, read_state

    data_dir = Path(args.data_dir).resolve()
    try:
        ledger = connect(data_dir)
    except StandInError as exc:
        print(f"nodeplane-local: {exc}", file=sys.stderr)
        return 2
    out: dict[str, Any]
    if args.admin_command == "faucet":
        refs = ledger.faucet(args.address, sui=args.sui, usdc=args.usdc)
        out = {"address": args.address, "coins": [r.object_id for r in refs]}
    elif args.admin_command == "advance-epoch":
        out = {"epoch": ledger.advance_epoch(args.epochs)}
    elif args.admin_command == "grant-admin":
        out = {"admin": args.address, "admin_badge": ledger.grant_admin(args.address)}
    else:
        out = read_state(data_dir) or {}
    print(json.dumps(out, indent=2))
    return 0


def add_commands(sub: Any, default_data_dir: str) -> None:
    """Add `sui-rpc` and `sui-rpc-admin` to nodeplane-local's subcommands."""
    serve = sub.add_parser("sui-rpc", help="serve the local ledger as a Sui GraphQL endpoint (development)")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--data-dir", default=default_data_dir, help="the ledger lives in <data-dir>/sui-rpc")
    serve.add_argument(
        "--cross-validation-permille", type=int, help="chance in 1/1000 that a settlement samples attesters (10)"
    )
    serve.set_defaults(func=cmd_serve)

    admin = sub.add_parser("sui-rpc-admin", help="faucet, epoch and parameters of a running `sui-rpc`")
    admin.add_argument("--data-dir", default=default_data_dir)
    commands = admin.add_subparsers(dest="admin_command", required=True)
    faucet = commands.add_parser("faucet", help="mint SUI (gas) and/or USDC coins to an address")
    faucet.add_argument("--address", required=True)
    faucet.add_argument("--sui", type=int, default=0, help="MIST")
    faucet.add_argument("--usdc", type=int, default=0, help="USDC units")
    epoch = commands.add_parser("advance-epoch", help="move the ledger's epoch on (dispute windows close)")
    epoch.add_argument("--epochs", type=int, default=1)
    grant = commands.add_parser(
        "grant-admin", help="hand the AtomaManagerBadge (the ledger's admin role) to an address"
    )
    grant.add_argument("--address", required=True)
    commands.add_parser("info", help="print the stand-in's URL and network parameters as JSON")
    admin.set_defaults(func=cmd_admin)
