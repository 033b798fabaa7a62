"""Shared bench plumbing: a moto server with the template's resources, and fresh-process timing."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


@contextmanager
def moto_backend() -> Iterator[dict[str, str]]:
    """A ThreadedMotoServer with the template's tables, queues and key; yields the env for handlers."""
    import boto3
    from moto.server import ThreadedMotoServer

    from tests.support.aws import environment

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
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


def cold_run(module_path: Path, event_path: Path, env: dict[str, str]) -> dict[str, Any]:
    """Import ``module_path`` in a fresh interpreter and invoke it once with ``event_path``."""
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "_cold_probe.py"), str(module_path), str(event_path)],
        env={**os.environ, **env, "PYTHONPATH": str(ROOT / "layers" / "nodeplane")},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def median(values: list[float]) -> float:
    return statistics.median(values)
