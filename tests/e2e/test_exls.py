"""The published exls CLI (exalsius 0.6.0, in `.venv-exls`) against the local runtime after one command,
`nodeplane-local token --exls`: it lists the tenant's nodes, shows one, and sees no other tenant's. The keyring is
the file keyring of keyrings.alt, as on a machine without a desktop keyring."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import exalsius_api_client as ex
import pytest

from tests.support.runtime import LocalRuntime

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("runtime")]  # one worker, one shared runtime

ROOT = Path(__file__).resolve().parents[2]
EXLS = ROOT / ".venv-exls" / "bin" / "exls"


def environment(rt: LocalRuntime, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EXLS_", "PYTHON_KEYRING"))}
    return env | {
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
        "EXLS_BACKEND_HOST": f"{rt.base_url}/v1",
        "COLUMNS": "200",
    }


def login(rt: LocalRuntime, env: dict[str, str], tenant: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "nodeplane_local", "token", "--exls", "--tenant", tenant]
    return subprocess.run([*command, "--data-dir", str(rt.data_dir)], env=env, capture_output=True, text=True)


def exls(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    assert EXLS.exists(), "exls's virtualenv is missing: `make test` creates .venv-exls"
    return subprocess.run([str(EXLS), *args], env=env, capture_output=True, text=True, timeout=120)


def test_exls_lists_nodes_after_the_local_login(runtime: LocalRuntime, tmp_path: Path) -> None:
    env = environment(runtime, tmp_path)
    before = exls(env, "nodes", "list")
    assert before.returncode != 0 and "not logged in" in (before.stdout + before.stderr).lower()

    cfg = ex.Configuration(host=f"{runtime.base_url}/v1", access_token=runtime.token("exls-e2e"))
    with ex.ApiClient(cfg) as api:
        offer = ex.OffersApi(api).get_offers(page_size=1).offers[0]
        [node_id] = ex.NodesApi(api).import_node_from_offer(offer.id, hostname="exls-gpu").node_ids

    logged_in = login(runtime, env, "exls-e2e")
    assert logged_in.returncode == 0, logged_in.stderr
    assert logged_in.stdout == "" and "exls nodes list" in logged_in.stderr

    listed = exls(env, "nodes", "list")
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert "exls-gpu" in listed.stdout and "AVAILABLE" in listed.stdout  # the table shortens ids
    as_json = exls(env, "--format", "json", "nodes", "list")
    assert as_json.returncode == 0, as_json.stderr
    assert [n["id"] for n in json.loads(as_json.stdout)] == [node_id]
    shown = exls(env, "nodes", "get", node_id)
    assert shown.returncode == 0 and "exls-gpu" in shown.stdout, shown.stdout + shown.stderr

    assert login(runtime, env, "exls-other").returncode == 0  # a second login replaces the first
    assert node_id not in exls(env, "nodes", "list").stdout


def test_without_a_keyring_backend_the_login_says_what_to_install(runtime: LocalRuntime, tmp_path: Path) -> None:
    env = environment(runtime, tmp_path) | {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    failed = login(runtime, env, "exls-e2e")
    assert failed.returncode == 1 and "keyrings.alt" in failed.stderr and "Traceback" not in failed.stderr
