"""`nodeplane-local`: run the template locally, print tokens, invoke one function, admin commands, OpenAPI, and
serve the local ledger as a Sui GraphQL endpoint."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from nodeplane_local import admin
from nodeplane_local.engines import EngineError
from nodeplane_local.issuer import AUDIENCE, Issuer, issuer_url
from nodeplane_local.sui_rpc import cli as sui_rpc
from nodeplane_local.template import TemplateError

DEFAULT_DATA_DIR = ".nodeplane"
DEFAULT_PORT = 3000


def _setup_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S", stream=sys.stderr)
    for noisy in ("werkzeug", "botocore", "boto3", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _runtime(args: argparse.Namespace) -> Any:
    from nodeplane_local.runtime import Runtime, check_template

    check_template(Path(args.template))
    return Runtime(
        template_path=Path(args.template),
        data_dir=Path(args.data_dir),
        host=getattr(args, "host", "127.0.0.1"),
        port=getattr(args, "port", DEFAULT_PORT),
        speedup=getattr(args, "schedule_speedup", 1.0),
        sui_rpc="start" if getattr(args, "sui_rpc", False) else getattr(args, "sui_rpc_url", "") or "",
    )


def cmd_run(args: argparse.Namespace) -> int:
    _setup_logging()
    stop = threading.Event()
    # SIGTERM as well as Ctrl-C: both end in the same orderly stop (HTTP, pollers, moto, java)
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    from nodeplane_local.runtime import read_runtime_file

    runtime = _runtime(args)
    running = read_runtime_file(runtime.data_dir)
    if running is not None:
        # two DynamoDB Local processes on one -dbPath would corrupt each other's files
        print(
            f"nodeplane-local: a runtime already serves {running['base_url']} from {runtime.data_dir} "
            f"(pid {running['pid']}); stop it or pass another --data-dir",
            file=sys.stderr,
        )
        return 1
    print(f"nodeplane-local: starting engines (data in {runtime.data_dir})…", file=sys.stderr, flush=True)
    runtime.start()
    try:
        routes = runtime.template.routes
        print(
            f"""
  API        {runtime.base_url}   ({len(routes)} routes, {len(runtime.functions)} functions)
  Swagger UI {runtime.base_url}/docs   OpenAPI {runtime.base_url}/openapi.json
  Data       {runtime.data_dir}   (DynamoDB Local; kept across restarts)
  Token      make -s token TENANT=<name>   or   nodeplane-local token --tenant <name>
             curl -H "Authorization: Bearer $(make -s token TENANT=alice)" {runtime.base_url}/...
  Engines    DynamoDB Local {runtime.dynamodb.url}   moto {runtime.moto.url}   (pid {os.getpid()})
  Chain      {_chain_line(runtime)}
  Ctrl-C stops everything.
""",
            file=sys.stderr,
            flush=True,
        )
        stop.wait()
    finally:
        print("nodeplane-local: stopping…", file=sys.stderr, flush=True)
        runtime.stop()
    return 0


def _chain_line(runtime: Any) -> str:
    info = runtime.chain_info
    if not info:
        return "the local ledger, in process (nodeplane-local run --sui-rpc: a Sui GraphQL stand-in instead)"
    kind = "a Sui GraphQL stand-in" if info.get("stand_in") else "a Sui GraphQL RPC"
    return f"{kind} at {info['url']}" + (f" (package {info['package']})" if info.get("package") else "")


def cmd_token(args: argparse.Namespace) -> int:
    from nodeplane_local.runtime import read_runtime_file

    data_dir = Path(args.data_dir).resolve()
    info = read_runtime_file(data_dir)
    url = info["issuer"] if info else issuer_url("127.0.0.1", args.port)
    issuer = Issuer(data_dir, url, AUDIENCE)
    scopes = args.scope or None
    print(issuer.token(args.tenant, ttl_seconds=int(args.ttl_hours * 3600), scopes=scopes))
    return 0


def cmd_invoke(args: argparse.Namespace) -> int:
    from nodeplane_local.runtime import read_runtime_file

    _setup_logging()
    event = json.loads(Path(args.event).read_text()) if args.event else {}
    runtime = _runtime(args)
    info = read_runtime_file(runtime.data_dir)
    started = False
    if info is not None:
        runtime.attach(info)  # a running runtime owns the DynamoDB files: share its engines
    else:
        runtime.start_engines()
        started = True
        runtime.provision()
    try:
        try:
            fn = runtime.function(args.function)
        except KeyError:
            print(f"no function {args.function!r}; known: {', '.join(sorted(runtime.functions))}", file=sys.stderr)
            return 2
        try:
            result = fn.invoke(event)
        except Exception as exc:
            logging.getLogger("nodeplane_local").exception("%s raised", fn.spec.logical_id)
            print(json.dumps({"errorType": type(exc).__name__, "errorMessage": str(exc)}))
            return 1
        print(json.dumps(result, indent=2, default=str))
        return 0
    finally:
        if started:
            runtime.stop()


def cmd_openapi(args: argparse.Namespace) -> int:
    """The merged document, without engines: handler modules import without AWS (they read settings lazily)."""
    from nodeplane_local.functions import Function, add_layers
    from nodeplane_local.openapi import merge_openapi
    from nodeplane_local.runtime import apply_environment, base_environment
    from nodeplane_local.template import parse_template

    template = parse_template(Path(args.template))
    apply_environment(base_environment("http://127.0.0.1:9", "http://127.0.0.1:9"))
    add_layers(template.layer_dirs())
    functions = {name: Function(spec) for name, spec in template.functions.items()}
    print(json.dumps(merge_openapi(functions, template.routes), indent=2))
    return 0


def cmd_admin(args: argparse.Namespace) -> int:
    from nodeplane_local.runtime import apply_environment, read_runtime_file

    data_dir = Path(args.data_dir).resolve()
    info = read_runtime_file(data_dir)
    if info is None:
        print(f"no running runtime in {data_dir}: start one with `make run` (nodeplane-local run)", file=sys.stderr)
        return 2
    ctx = admin.AdminContext(data_dir, info)
    apply_environment(ctx.env)
    return int(admin.commands()[args.admin_command].run(ctx, args) or 0)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nodeplane-local", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser, template: bool = True) -> None:
        p.add_argument("--data-dir", default=DEFAULT_DATA_DIR, help="DynamoDB files, issuer key, KMS key record")
        if template:
            p.add_argument("--template", default="template.yaml")

    run = sub.add_parser("run", help="serve the template's HTTP API on local engines, with queues and schedules")
    run.add_argument("--port", type=int, default=DEFAULT_PORT)
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--schedule-speedup", type=float, default=1.0, help="divide rate() intervals by N")
    chain = run.add_mutually_exclusive_group()
    chain.add_argument(
        "--sui-rpc", action="store_true", help="start a Sui GraphQL stand-in and run every function against it"
    )
    chain.add_argument("--sui-rpc-url", default="", help="run every function against this Sui GraphQL RPC")
    common(run)
    run.set_defaults(func=cmd_run)

    token = sub.add_parser("token", help="print a bearer token for a tenant (and nothing else)")
    token.add_argument("--tenant", required=True)
    token.add_argument("--ttl-hours", type=float, default=12.0)
    token.add_argument("--scope", action="append", help="add an OAuth scope (repeatable)")
    token.add_argument("--port", type=int, default=DEFAULT_PORT, help="the runtime's port, when none runs")
    common(token, template=False)
    token.set_defaults(func=cmd_token)

    invoke = sub.add_parser("invoke", help="invoke one function with an event file, like `sam local invoke`")
    invoke.add_argument("function", help="logical id (OffersListFunction), function name or folder (pool_offers_list)")
    invoke.add_argument("--event", help="JSON event file (default: {})")
    invoke.add_argument("--port", type=int, default=DEFAULT_PORT)
    common(invoke)
    invoke.set_defaults(func=cmd_invoke)

    openapi = sub.add_parser("openapi", help="print the merged OpenAPI document")
    openapi.add_argument("--template", default="template.yaml")
    openapi.set_defaults(func=cmd_openapi)

    adm = sub.add_parser("admin", help="operator commands against the running runtime")
    common(adm, template=False)
    adm_sub = adm.add_subparsers(dest="admin_command", required=True)
    for command in sorted(admin.commands().values(), key=lambda c: c.name):
        p = adm_sub.add_parser(command.name, help=command.help)
        command.configure_parser(p)
    adm.set_defaults(func=cmd_admin)

    sui_rpc.add_commands(sub, DEFAULT_DATA_DIR)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (TemplateError, EngineError) as exc:
        print(f"nodeplane-local: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
