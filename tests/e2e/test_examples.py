"""Every script in examples/ runs as its docstring says, against the local runtime: the pool team's (the
published exalsius-api-client), the operator's (the nodeplane CLI), then the client's (the published atoma-sdk,
in its own virtualenv), which locks the node the operator's script set up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.runtime import LocalRuntime

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("runtime")]  # one worker, one shared runtime

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
ATOMA_PYTHON = ROOT / ".venv-atoma" / "bin" / "python"
MODEL = "e2e/examples-model"


def run(rt: LocalRuntime, tenant: str, *cmd: str, cwd: Path = ROOT) -> str:
    env = os.environ | {
        "NODEPLANE_URL": rt.base_url,
        "NODEPLANE_TOKEN": rt.token(tenant),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",  # the installed `nodeplane`
    }
    out = subprocess.run(list(cmd), env=env, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def admin(rt: LocalRuntime, *args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "nodeplane_local", "admin", "--data-dir", str(rt.data_dir), *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_pool_team_example(runtime: LocalRuntime) -> None:
    out = run(runtime, "examples-pool", sys.executable, str(EXAMPLES / "pool_team.py"))
    assert out.count("offer ") == 3 and "imported nodes " in out and " with 2 nodes" in out


def test_operator_then_client_examples(runtime: LocalRuntime, tmp_path: Path) -> None:
    task = admin(runtime, "create-task", "--model", MODEL, "--security-level", "1")["task_small_id"]
    admin(runtime, "rotate-keys")
    out = run(runtime, "examples-operator", "bash", str(EXAMPLES / "operator.sh"), str(task), cwd=tmp_path)
    node = int(out.split("registered node ")[1].split()[0])
    assert (tmp_path / "node.x25519").exists() and f"subscribed to task {task}: tx " in out

    admin(runtime, "credit", "--user", "examples-client", "--amount", "1000000")
    assert ATOMA_PYTHON.exists(), "atoma-sdk's virtualenv is missing: `make test` creates .venv-atoma"
    out = run(runtime, "examples-client", str(ATOMA_PYTHON), str(EXAMPLES / "client_lock.py"), MODEL)
    assert out.startswith(f"locked node {node} on stack ") and "encrypted a request" in out
