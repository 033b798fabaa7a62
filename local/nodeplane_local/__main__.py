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
from nodeplane_local.issuer import AUDIENCE, ISSUER_PATH, Issuer, issuer_url
from nodeplane_local.sui_rpc import cli as sui_rpc
from nodeplane_local.template import TemplateError

DEFAULT_DATA_DIR = ".nodeplane"
DEFAULT_PORT = 3000


def _setup_logging(args: argparse.Namespace) -> None:
    from nodeplane_local import logs

    logs.setup(args.log_format, getattr(logging, args.log_level))


def _say(args: argparse.Namespace, text: str, message: str, **fields: Any) -> None:
    """Progress of the runtime: ``text`` for a person, or one JSON record like the rest (``--log-format json``)."""
    if getattr(args, "log_format", "text") == "json":
        logging.getLogger("nodeplane_local").info(message, extra=fields)
    else:
        print(text, file=sys.stderr, flush=True)


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
    _setup_logging(args)
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
    _say(
        args,
        f"nodeplane-local: starting engines (data in {runtime.data_dir})…",
        "starting",
        dataDir=str(runtime.data_dir),
    )
    runtime.start()
    reloader = None
    if not args.no_reload:
        from nodeplane_local.reload import Reloader

        reloader = Reloader(list(runtime.functions.values()), runtime.template.layer_dirs())
        reloader.start()
    try:
        routes = runtime.template.routes
        _say(
            args,
            f"""
  API        {runtime.base_url}   ({len(routes)} routes, {len(runtime.functions)} functions)
  Swagger UI {runtime.base_url}/docs   OpenAPI {runtime.base_url}/openapi.json
  Data       {runtime.data_dir}   (DynamoDB Local; kept across restarts)
  Token      make -s token TENANT=<name>   or   nodeplane-local token --tenant <name>
             curl -H "Authorization: Bearer $(make -s token TENANT=alice)" {runtime.base_url}/...
  Engines    DynamoDB Local {runtime.dynamodb.url}   moto {runtime.moto.url}   (pid {os.getpid()})
  Chain      {_chain_line(runtime)}
  Edits under functions/ reload that function (--no-reload keeps the code as loaded). Ctrl-C stops everything.
""",
            "serving",
            apiUrl=runtime.base_url,
            routes=len(routes),
            functions=len(runtime.functions),
            dataDir=str(runtime.data_dir),
            pid=os.getpid(),
        )
        stop.wait()
    finally:
        _say(args, "nodeplane-local: stopping…", "stopping")
        if reloader is not None:
            reloader.stop()
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
    ttl = int(args.ttl_hours * 3600)
    token = issuer.token(args.tenant, ttl_seconds=ttl, scopes=scopes)
    if not args.exls:
        print(token)
        return 0
    from nodeplane_local import exls

    client = exls.client_id()
    id_token = Issuer(data_dir, url, client).token(args.tenant, ttl_seconds=ttl, **exls.id_token_claims(args.tenant))
    try:
        backend = exls.store(token, id_token, ttl, client)
    except exls.KeyringUnavailable as exc:
        print(f"nodeplane-local: {exc}", file=sys.stderr)
        return 1
    api = url.removesuffix(ISSUER_PATH) + "/v1"
    print(
        f"exls is logged in as {args.tenant} for {args.ttl_hours:g} h (keyring {backend}).\n"
        f"  EXLS_BACKEND_HOST={api} exls nodes list",
        file=sys.stderr,
    )
    return 0


def _read_event(path: str | None) -> Any:
    """The event file's JSON; a one-line error (as `sam local invoke` gives) when it is missing or not JSON."""
    if not path:
        return {}
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise SystemExit(f"nodeplane-local: no event file {path} (the samples are under events/<function>/)") from None
    except (OSError, ValueError) as exc:
        raise SystemExit(f"nodeplane-local: cannot read the event file {path}: {exc}") from None


def cmd_invoke(args: argparse.Namespace) -> int:
    import resource
    import time

    from nodeplane_local.runtime import read_runtime_file

    event = _read_event(args.event)
    _setup_logging(args)
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
        # START / END / REPORT on stderr as `sam local invoke` prints them; the handler's answer on stdout
        context = fn.context()
        request_id = context.aws_request_id
        print(f"START RequestId: {request_id} Version: $LATEST", file=sys.stderr, flush=True)
        began = time.perf_counter()
        code = 0
        try:
            result = fn.invoke(event, context)
        except Exception as exc:
            logging.getLogger("nodeplane_local").exception("%s raised", fn.spec.logical_id)
            result, code = {"errorType": type(exc).__name__, "errorMessage": str(exc)}, 1
        duration = (time.perf_counter() - began) * 1000
        used_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024  # kilobytes on Linux
        print(f"END RequestId: {request_id}", file=sys.stderr)
        print(
            f"REPORT RequestId: {request_id}\tDuration: {duration:.2f} ms\tBilled Duration: {int(duration) + 1} ms\t"
            f"Memory Size: {fn.spec.memory} MB\tMax Memory Used: {used_mb} MB",
            file=sys.stderr,
            flush=True,
        )
        print(json.dumps(result, indent=2, default=str))
        return code
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


def cmd_seed(args: argparse.Namespace) -> int:
    """The demo world of seed.py in the running runtime's engines, on which every sample under events/ succeeds."""
    from nodeplane_local.runtime import apply_environment, read_runtime_file

    data_dir = Path(args.data_dir).resolve()
    info = read_runtime_file(data_dir)
    if info is None:
        print(f"no running runtime in {data_dir}: start one with `make run` (nodeplane-local run)", file=sys.stderr)
        return 2
    apply_environment(admin.AdminContext(data_dir, info).env)
    from nodeplane.network import daemon
    from nodeplane_local import samples, seed

    if daemon.tasks(limit=1):
        print(
            f"nodeplane-local: {data_dir} is not fresh (it has tasks); seed loads the demo world into a fresh state: "
            "stop the runtime, `make clean`, `make run`",
            file=sys.stderr,
        )
        return 1
    print("nodeplane-local: seeding the demo world (pool, operator, tasks, stacks)…", file=sys.stderr, flush=True)
    seed.build()
    print(
        f"nodeplane-local: seeded for tenant {samples.TENANT}: nodes {samples.NODE} (available), "
        f"{samples.NODE_IN_CLUSTER} (in cluster {samples.CLUSTER}), {samples.NODE_SELF_MANAGED} (self-managed); "
        "operator nodes 1 and 2 on tasks 1 (confidential) and 2, task 3 unserved; stacks 1 (used), 2 (claimed), "
        "3 (settled). Every sample under events/ now succeeds: nodeplane-local invoke FUNCTION --event FILE",
        file=sys.stderr,
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nodeplane-local", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser, template: bool = True) -> None:
        p.add_argument("--data-dir", default=DEFAULT_DATA_DIR, help="DynamoDB files, issuer key, KMS key record")
        if template:
            p.add_argument("--template", default="template.yaml")

    def log_options(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--log-format",
            choices=("text", "json"),
            default="text",
            help="json: every line as a function's CloudWatch log holds it (records and metrics); text: readable",
        )
        p.add_argument("--log-level", choices=("DEBUG", "INFO", "WARNING", "ERROR"), default="INFO")

    run = sub.add_parser("run", help="serve the template's HTTP API on local engines, with queues and schedules")
    run.add_argument("--port", type=int, default=DEFAULT_PORT)
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--schedule-speedup", type=float, default=1.0, help="divide rate() intervals by N")
    run.add_argument("--no-reload", action="store_true", help="keep functions' code as loaded at start")
    chain = run.add_mutually_exclusive_group()
    chain.add_argument(
        "--sui-rpc", action="store_true", help="start a Sui GraphQL stand-in and run every function against it"
    )
    chain.add_argument("--sui-rpc-url", default="", help="run every function against this Sui GraphQL RPC")
    common(run)
    log_options(run)
    run.set_defaults(func=cmd_run)

    token = sub.add_parser("token", help="print a bearer token for a tenant (and nothing else)")
    token.add_argument("--tenant", required=True)
    token.add_argument("--ttl-hours", type=float, default=12.0)
    token.add_argument("--scope", action="append", help="add an OAuth scope (repeatable)")
    token.add_argument("--port", type=int, default=DEFAULT_PORT, help="the runtime's port, when none runs")
    token.add_argument(
        "--exls", action="store_true", help="log the exls CLI in: write the tokens into its keyring entries instead"
    )
    common(token, template=False)
    token.set_defaults(func=cmd_token)

    invoke = sub.add_parser("invoke", help="invoke one function with an event file, like `sam local invoke`")
    invoke.add_argument("function", help="logical id (OffersListFunction), function name or folder (pool_offers_list)")
    invoke.add_argument("--event", help="JSON event file (default: {})")
    invoke.add_argument("--port", type=int, default=DEFAULT_PORT)
    common(invoke)
    log_options(invoke)
    invoke.set_defaults(func=cmd_invoke)

    openapi = sub.add_parser("openapi", help="print the merged OpenAPI document")
    openapi.add_argument("--template", default="template.yaml")
    openapi.set_defaults(func=cmd_openapi)

    seed = sub.add_parser("seed", help="load a small demo world into a fresh running runtime (every sample succeeds)")
    common(seed, template=False)
    seed.set_defaults(func=cmd_seed)

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
