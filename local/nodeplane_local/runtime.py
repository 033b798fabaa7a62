"""The local runtime: engines, provisioning, environment, functions, event sources and the HTTP gateway.

While `nodeplane-local run` serves, <data-dir>/runtime.json records its endpoints and environment, so other
commands (`invoke`, `admin`, tests) can use the same engines.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nodeplane_local import chain, engines
from nodeplane_local.functions import Function, add_layers
from nodeplane_local.issuer import AUDIENCE, Issuer, issuer_url
from nodeplane_local.provision import client, provision
from nodeplane_local.template import (
    REGION,
    Physical,
    Resolver,
    Template,
    TemplateError,
    parse_template,
    process_environment,
)
from nodeplane_local.workers import Scheduler, SqsPoller

log = logging.getLogger("nodeplane_local")
RUNTIME_FILE = "runtime.json"


def base_environment(moto_url: str, dynamodb_url: str) -> dict[str, str]:
    """What every handler sees besides the template's variables: engines, fake credentials, Powertools knobs."""
    return {
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_ENDPOINT_URL_DYNAMODB": dynamodb_url,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_EC2_METADATA_DISABLED": "true",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_DEV": "false",
    }


def apply_environment(env: dict[str, str]) -> None:
    # a profile or session token from the developer's shell must never leak into local calls
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_DEFAULT_PROFILE"):
        os.environ.pop(name, None)
    os.environ.update(env)


def read_runtime_file(data_dir: Path) -> dict[str, Any] | None:
    """The running runtime's record, or None when none runs (a stale file of a dead process is ignored)."""
    path = data_dir / RUNTIME_FILE
    try:
        info: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    try:
        os.kill(int(info["pid"]), 0)
    except (OSError, KeyError, ValueError):
        return None
    return info


def local_host(host: str) -> str:
    return "127.0.0.1" if host in ("", "0.0.0.0", "::") else host


@dataclass
class Runtime:
    template_path: Path
    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 3000
    speedup: float = 1.0
    template: Template = field(init=False)
    issuer: Issuer = field(init=False)
    physical: dict[str, Physical] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    functions: dict[str, Function] = field(default_factory=dict)
    # by function logical id: a function may have several SQS or Schedule events
    pollers: dict[str, list[SqsPoller]] = field(default_factory=dict)
    schedulers: dict[str, list[Scheduler]] = field(default_factory=dict)
    # the chain: "" the local ledger in process, "start" a Sui GraphQL stand-in of its own, else a Sui GraphQL URL
    sui_rpc: str = ""
    stand_in: Any = None
    dynamodb: engines.DynamoDBLocal | None = None
    moto: engines.MotoServer | None = None
    http: Any = None
    _http_thread: Any = None

    def __post_init__(self) -> None:
        self.data_dir = self.data_dir.resolve()
        self.issuer_url = issuer_url(local_host(self.host), self.port)
        # the template's authorizer trusts whatever JwtIssuer/JwtAudience say: locally that is our issuer; and a
        # server on 127.0.0.1 or the LAN can be imported over SSH
        self.overrides = {"JwtIssuer": self.issuer_url, "JwtAudience": AUDIENCE, "SshPrivateTargets": "allow"}
        self.template = parse_template(self.template_path, self.overrides)
        self.chain_info: dict[str, Any] = {}
        self.issuer = Issuer(self.data_dir, self.issuer_url, AUDIENCE)
        self.root = engines.engines_root(self.template.root)

    @property
    def base_url(self) -> str:
        return f"http://{local_host(self.host)}:{self.port}"

    # ---- lifecycle -----------------------------------------------------------------------------------------

    def start_engines(self) -> None:
        engines.npm_install(self.root)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.dynamodb = engines.DynamoDBLocal(self.data_dir / "dynamodb", root=self.root)
        self.moto = engines.MotoServer()

    def attach(self, info: dict[str, Any]) -> None:
        """Use a running runtime's engines instead of starting our own (invoke, admin)."""
        self.env = dict(info["env"])
        apply_environment(self.env)
        self._load_functions()

    def provision(self) -> None:
        assert self.dynamodb is not None and self.moto is not None
        self.physical = provision(
            self.template,
            ddb=client("dynamodb", self.dynamodb.url),
            sqs=client("sqs", self.moto.url),
            kms=client("kms", self.moto.url),
            data_dir=self.data_dir,
        )
        resolver = Resolver(self.template.parameters, self.physical)
        self.env = base_environment(self.moto.url, self.dynamodb.url) | process_environment(self.template, resolver)
        apply_environment(self.env)
        self.audiences = self._audiences(resolver)
        self._load_functions()

    def _audiences(self, resolver: Resolver) -> dict[str, tuple[str, list[str]]]:
        out = {}
        for name, auth in self.template.authorizers.items():
            aud = resolver.resolve(auth.audience)
            out[name] = (
                str(resolver.resolve(auth.issuer)),
                [str(a) for a in (aud if isinstance(aud, list) else [aud])],
            )
        return out

    def _load_functions(self) -> None:
        add_layers(self.template.layer_dirs())
        self.functions = {name: Function(spec) for name, spec in self.template.functions.items()}

    def start_workers(self) -> None:
        assert self.moto is not None
        sqs = client("sqs", self.moto.url)
        for fn in self.template.functions.values():
            for source in fn.sqs:
                poller = SqsPoller(source, self.functions[fn.logical_id], self.physical[source.queue], sqs)
                self.pollers.setdefault(fn.logical_id, []).append(poller)
                poller.start()
            for sched in fn.schedules:
                scheduler = Scheduler(sched, self.functions[fn.logical_id], self.speedup)
                self.schedulers.setdefault(fn.logical_id, []).append(scheduler)
                scheduler.start()

    def bind_http(self) -> None:
        """Take the port first, so a busy port fails in a second instead of after the engines started."""
        from nodeplane_local.server import Gateway

        try:
            self.http = Gateway(self, (self.host, self.port))
        except OSError as exc:
            raise engines.EngineError(f"cannot listen on {self.host}:{self.port}: {exc.strerror}") from None

    def serve_http(self) -> None:
        import threading

        assert self.http is not None
        self._http_thread = threading.Thread(target=self.http.serve_forever, name="http", daemon=True)
        self._http_thread.start()

    def start_chain(self) -> None:
        """Point every function at a Sui GraphQL RPC (a stand-in of our own, or a given URL) instead of the ledger."""
        if not self.sui_rpc:
            return
        url = self.sui_rpc
        if url == "start":
            from nodeplane_local.sui_rpc.service import StandIn

            # the ledger's draw of attestation nodes, as LEDGER_CROSS_VALIDATION_PERMILLE sets it in process
            permille = os.environ.get("LEDGER_CROSS_VALIDATION_PERMILLE")
            self.stand_in = StandIn.start(self.data_dir, cross_validation_permille=int(permille) if permille else None)
            url = self.stand_in.state["url"]
        self.chain_info = chain.network_info(url)
        self.overrides |= chain.template_parameters(url, self.chain_info)
        self.template = parse_template(self.template_path, self.overrides)

    def start(self) -> None:
        """Everything `nodeplane-local run` does before printing where the API is."""
        try:
            self.bind_http()
            self.start_engines()
            self.start_chain()
            self.provision()
            if self.chain_info:
                chain.make_nodeplane_admin(self.chain_info)
            self.serve_http()
            self.start_workers()
            self.write_runtime_file()
        except BaseException:
            self.stop()
            raise

    def write_runtime_file(self) -> None:
        assert self.dynamodb is not None and self.moto is not None
        info = {
            "pid": os.getpid(),
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "base_url": self.base_url,
            "issuer": self.issuer_url,
            "audience": AUDIENCE,
            "template": str(self.template_path.resolve()),
            "data_dir": str(self.data_dir),
            "dynamodb_endpoint": self.dynamodb.url,
            "moto_endpoint": self.moto.url,
            "region": REGION,
            "env": self.env,
            "sui_rpc": self.chain_info or None,
            "resources": {k: {"ref": v.ref, **v.attrs} for k, v in self.physical.items()},
        }
        tmp = self.data_dir / f".{RUNTIME_FILE}.tmp"
        tmp.write_text(json.dumps(info, indent=2))
        tmp.replace(self.data_dir / RUNTIME_FILE)

    def stop(self) -> None:
        """Stop in reverse order; safe to call twice and after a partial start."""
        path = self.data_dir / RUNTIME_FILE
        try:
            if json.loads(path.read_text()).get("pid") == os.getpid():
                path.unlink()
        except (OSError, ValueError):
            pass
        if self.http is not None:
            if self._http_thread is not None:
                self.http.shutdown()  # waits for serve_forever, which must have been started
            self.http.server_close()
            self.http = None
        for workers in [*self.pollers.values(), *self.schedulers.values()]:
            for worker in workers:
                worker.stop()
        self.pollers.clear()
        self.schedulers.clear()
        if self.moto is not None:
            self.moto.stop()
            self.moto = None
        if self.stand_in is not None:
            self.stand_in.stop()
            self.stand_in = None
        if self.dynamodb is not None:
            self.dynamodb.stop()
            self.dynamodb = None

    # ---- used by the gateway and the commands ----------------------------------------------------------------

    def function(self, name: str) -> Function:
        if name in self.functions:
            return self.functions[name]
        for fn in self.functions.values():
            if name in (fn.spec.function_name, fn.spec.code_uri.name):
                return fn
        raise KeyError(name)


def check_template(path: Path) -> None:
    if not path.is_file():
        raise TemplateError(f"{path}: no such template")
