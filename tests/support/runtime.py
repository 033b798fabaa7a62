"""`nodeplane-local run` as a subprocess for end-to-end tests: real HTTP, real engines, real tokens.

    with LocalRuntime(data_dir=tmp_path) as rt:
        requests.get(f"{rt.base_url}/v1/offers", headers={"Authorization": f"Bearer {rt.token('alice')}"})

or the session fixture ``local_runtime`` (import it into conftest.py), which serves the repository's template.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest

from nodeplane_local.engines import free_port
from nodeplane_local.issuer import AUDIENCE, Issuer
from nodeplane_local.provision import client

ROOT = Path(__file__).resolve().parents[2]


class RuntimeFailed(RuntimeError):
    pass


class LocalRuntime:
    """Starts the runtime on a free port with its own data dir; stop() ends it (java and moto with it)."""

    def __init__(
        self,
        port: int | None = None,
        data_dir: Path | str | None = None,
        template: Path | str = ROOT / "template.yaml",
        schedule_speedup: float = 1.0,
        extra_env: dict[str, str] | None = None,
        sui_rpc: bool = False,
        log_format: str = "text",
    ) -> None:
        self.port = port or free_port()
        self._tmp = None if data_dir is not None else tempfile.mkdtemp(prefix="nodeplane-local-")
        self.data_dir = Path(data_dir or self._tmp or "").resolve()
        self.template = Path(template).resolve()
        self.schedule_speedup = schedule_speedup
        self.extra_env = extra_env or {}
        self.sui_rpc = sui_rpc  # every function against a Sui GraphQL stand-in instead of the in-process ledger
        self.log_format = log_format
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = self.data_dir / "runtime.log"

    def start(self) -> LocalRuntime:
        if shutil.which("java") is None:
            pytest.skip("the local runtime needs Java for DynamoDB Local: apt-get install default-jre-headless")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        cmd = [
            sys.executable,
            "-m",
            "nodeplane_local",
            "run",
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
            "--template",
            str(self.template),
            "--schedule-speedup",
            str(self.schedule_speedup),
            *(["--sui-rpc"] if self.sui_rpc else []),
            "--log-format",
            self.log_format,
        ]
        env = os.environ | self.extra_env
        for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
            env.pop(name, None)  # the runtime chooses its own engines
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(cmd, cwd=self.template.parent, stdout=log, stderr=log, env=env)
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        # ready means: serving HTTP and runtime.json written by this process (engines provisioned)
        assert self.process is not None
        while True:
            if self.process.poll() is not None:
                raise RuntimeFailed(f"nodeplane-local exited with {self.process.returncode}:\n{self.log()[-4000:]}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/local/health", timeout=2) as response:
                    if response.status == 200 and self.info().get("pid") == self.process.pid:
                        return
            except (urllib.error.URLError, OSError, ValueError):
                pass
            time.sleep(0.2)

    def info(self) -> dict[str, Any]:
        """runtime.json: endpoints of the engines and the functions' environment."""
        result: dict[str, Any] = json.loads((self.data_dir / "runtime.json").read_text())
        return result

    def token(self, tenant: str, **claims: Any) -> str:
        return Issuer(self.data_dir, f"{self.base_url}/local-issuer", AUDIENCE).token(tenant, **claims)

    def client(self, service: str) -> Any:
        """A boto3 client on the runtime's engine for `service` (DynamoDB Local or moto)."""
        info = self.info()
        return client(service, info["dynamodb_endpoint"] if service == "dynamodb" else info["moto_endpoint"])

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def cleanup(self) -> None:
        self.stop()
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> LocalRuntime:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.cleanup()


@pytest.fixture(scope="session")
def local_runtime() -> Iterator[LocalRuntime]:
    """The repository's template served on a free port with a throw-away data dir."""
    with LocalRuntime() as runtime:
        yield runtime


@pytest.fixture(scope="session")
def runtime(local_runtime: LocalRuntime) -> LocalRuntime:
    """The name the e2e tests use for `local_runtime`."""
    return local_runtime


@pytest.fixture(scope="session")
def sui_rpc_runtime() -> Iterator[LocalRuntime]:
    """The repository's template with every function talking to a Sui GraphQL stand-in (`run --sui-rpc`)."""
    with LocalRuntime(sui_rpc=True) as runtime:
        yield runtime
