"""Shared bench plumbing: a moto server with the template's resources, and fresh-process timing."""

from __future__ import annotations

import json
import logging
import os
import statistics
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def quiet_metrics() -> None:
    """Handlers invoked in this process keep their embedded-metric lines out of the bench's output (results only)."""
    from nodeplane import metrics

    metrics.sink = lambda line: None


@contextmanager
def moto_backend(dynamodb_local: bool = False) -> Iterator[dict[str, str]]:
    """A ThreadedMotoServer with the template's tables, queues and key; yields the env for handlers.

    ``dynamodb_local``: DynamoDB is AWS's DynamoDB Local instead (in memory), whose reads cost like a database's
    rather than like moto's Python scans.
    """
    import boto3
    from moto.server import ThreadedMotoServer

    quiet_metrics()
    from nodeplane_local.harness.aws import environment

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per request would bury the results
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    engine = None
    if dynamodb_local:
        from nodeplane_local.engines import DynamoDBLocal

        engine = DynamoDBLocal(db_path=None)
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = engine.url
    env = {
        "AWS_ENDPOINT_URL": f"http://{host}:{port}",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "ERROR",
    }
    os.environ.update(env)
    env |= environment(boto3.client("dynamodb"), boto3.client("sqs"), boto3.client("kms"))
    os.environ.update(env)
    try:
        yield env
    finally:
        server.stop()
        if engine is not None:
            engine.stop()
            os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)


def function_environment(name: str) -> dict[str, str]:
    """The environment Lambda gives the function in functions/<name>: template.yaml's literal variables (Globals
    included) and the runtime's AWS_LAMBDA_FUNCTION_NAME."""
    from nodeplane_local.harness.aws import template

    for logical_id, fn in template().functions.items():
        if fn.code_uri.name == name:
            literal = {k: v for k, v in fn.environment.items() if isinstance(v, str)}
            return literal | {"AWS_LAMBDA_FUNCTION_NAME": logical_id}
    raise KeyError(f"no function in template.yaml has CodeUri functions/{name}")


def compile_sources() -> None:
    """Write the bytecode of the layer, the handlers and the bench modules, as a build that ships .pyc does.

    Without it (PYTHONDONTWRITEBYTECODE, a read-only /var/task) every cold start compiles nodeplane from source
    while boto3 comes precompiled, which is a packaging difference, not a code one.
    """
    import compileall

    for folder in ("layers/nodeplane/nodeplane", "functions", "bench"):
        compileall.compile_dir(ROOT / folder, quiet=1)


def cold_run(module_path: Path, event_path: Path, env: dict[str, str], *, record: Path | None = None) -> dict[str, Any]:
    """Import ``module_path`` in a fresh interpreter and invoke it once with ``event_path``."""
    recording = ["--record", str(record)] if record else []
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "_cold_probe.py"), *recording, str(module_path), str(event_path)],
        env={**os.environ, **env, "PYTHONPATH": str(ROOT / "layers" / "nodeplane")},
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{module_path.name} failed on {event_path}:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def median(values: list[float]) -> float:
    return statistics.median(values)


@contextmanager
def sui_rpc_stand_in() -> Iterator[dict[str, str]]:
    """A Sui GraphQL stand-in serving a ledger kept in the bench's own tables (so Snapshot restores it too); yields
    the environment that points every function at it, as the template's parameters do on a real network."""
    import boto3

    from nodeplane.chain.keys import Keypair
    from nodeplane.chain.ledger import LocalLedger
    from nodeplane_local.harness.sui_rpc import start_rpc_chain, use_rpc_chain

    ledger = LocalLedger(
        boto3.client("dynamodb"),
        os.environ["LEDGER_TABLE_NAME"],
        admin_address=Keypair.generate().address,
        cross_validation_probability_permille=1000,  # as bench/world.py sets it for the ledger in process
    )
    ledger.genesis()
    chain = start_rpc_chain(ledger)
    try:
        use_rpc_chain(chain)
        yield chain.environment()
    finally:
        chain.server.stop()


class Meter:
    """Counts DynamoDB calls and the items each one read (ScannedCount for queries)."""

    def __init__(self) -> None:
        self.calls = 0
        self.items = 0

    def __call__(self, http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        self.calls += 1
        if "ScannedCount" in parsed:
            self.items += int(parsed["ScannedCount"])
        elif "Item" in parsed:
            self.items += 1
        elif "Responses" in parsed:
            self.items += sum(len(v) for v in parsed["Responses"].values())


# the offer every seeded node was imported from, as the offers table holds one
_OFFER = {
    "cloud_provider": "AWS",
    "region": "us-east-1",
    "instance_type": "g5.xlarge",
    "hourly_cost": 1.5,
    "gpu_count": 1,
    "gpu_memory_mib": 24576,
    "gpu_vendor": "NVIDIA",
    "gpu_type": "A10G",
    "num_vcpus": 4,
    "main_memory_mib": 16384,
}


def seed_pool_nodes(tenant: str, count: int) -> list[str]:
    """``count`` cloud nodes of ``tenant``, written directly (BatchWriteItem), with the counters to match."""
    from nodeplane import store
    from nodeplane.pool import items, nodes

    client = store.dynamodb()
    table = store.dynamo.settings().table_name
    ids = []
    batch = []
    for i in range(count):
        node_id = f"00000000-0000-4000-8000-{i:012d}"
        created = f"2026-11-23T06:{i // 6000:02d}:{(i // 100) % 60:02d}.{i % 1000:03d}Z"
        node = nodes.cloud_node(tenant, node_id, f"n{i:06d}", created=created, offer_id="bench-offer", offer=_OFFER)
        batch.append({"PutRequest": {"Item": store.dynamo.serialize(node)}})
        ids.append(node_id)
        if len(batch) == 25:
            client.batch_write_item(RequestItems={table: batch})
            batch = []
    if batch:
        client.batch_write_item(RequestItems={table: batch})
    store.transact(
        [
            store.put(
                {
                    "pk": items.tenant_pk(tenant),
                    "sk": items.COUNTERS,
                    "nodes_total": count,
                    "nodes_CLOUD": count,
                    "nodes_provider_aws": count,
                }
            )
        ]
    )
    return ids
