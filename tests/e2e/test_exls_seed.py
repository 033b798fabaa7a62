"""The published exls 0.6.0 CLI against the local runtime, over real HTTP, in the flows seed 002 describes: nodes
list / get / import-ssh / delete and ssh-keys list / import / delete, as a user types them.

exls runs from its own Python 3.12 virtualenv (``.venv-exls``, made by ``make test``), logged in with
``nodeplane-local token --exls`` (a file keyring). Discovery is real: a real sshd on 127.0.0.1 is inspected.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import exalsius_api_client as ex
import pytest

from nodeplane_local.harness.sshd import SshServer, new_client_key

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("runtime")]  # one worker, one shared runtime
ROOT = Path(__file__).resolve().parents[2]
EXLS = ROOT / ".venv-exls" / "bin" / "exls"
SETTLED = ("AVAILABLE", "WARNING", "FAILED")


class Exls:
    def __init__(self, runtime: Any, home: Path, tenant: str) -> None:
        assert EXLS.exists(), "exls's virtualenv is missing: `make test` creates .venv-exls"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("EXLS_", "PYTHON_KEYRING"))} | {
            "HOME": str(home),
            "EXLS_BACKEND_HOST": f"{runtime.base_url}/v1",
            "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "COLUMNS": "200",
        }
        self.token = runtime.token(tenant)
        login = [sys.executable, "-m", "nodeplane_local", "token", "--exls", "--tenant", tenant]
        subprocess.run([*login, "--data-dir", str(runtime.data_dir)], env=self.env, check=True, timeout=60)

    def __call__(self, *args: str) -> Any:
        out = subprocess.run(
            [str(EXLS), "--format", "json", *args], env=self.env, capture_output=True, text=True, timeout=120
        )
        assert out.returncode == 0, out.stdout + out.stderr
        # one JSON document per result (a delete of two nodes prints one per node)
        decoder, text, docs = json.JSONDecoder(), out.stdout.strip(), []
        while text:
            doc, end = decoder.raw_decode(text)
            docs.append(doc)
            text = text[end:].strip()
        return docs[0] if len(docs) == 1 else docs


@pytest.fixture
def exls(runtime, tmp_path) -> Exls:
    return Exls(runtime, tmp_path, f"exls-{tmp_path.name}")


def settle(runtime: Any, exls: Exls, name: str) -> dict[str, Any]:
    """``exls nodes get`` once discovery is over; exls shows PENDING and WARNING as UNKNOWN, so the wait asks
    the API itself."""
    node = exls("nodes", "get", name)
    cfg = ex.Configuration(host=f"{runtime.base_url}/v1", access_token=exls.token)
    with ex.ApiClient(cfg) as api:
        for _ in range(240):
            status = ex.NodesApi(api).describe_node(node["id"]).actual_instance.node_status
            if status in SETTLED:
                return {**exls("nodes", "get", name), "node_status": status}
            time.sleep(0.5)
    raise AssertionError(f"discovery of {name} did not finish: {status}")


def test_ssh_keys_and_self_managed_nodes_with_exls(runtime, exls, tmp_path):
    with SshServer() as server:
        key_path = tmp_path / "id_ed25519"
        key_path.write_bytes(server.client_private_key)
        stranger_path = tmp_path / "stranger"
        stranger_path.write_bytes(new_client_key())
        key = exls("management", "ssh-keys", "import", "--name", "e2e-key", "--key-path", str(key_path))
        stranger = exls("management", "ssh-keys", "import", "--name", "stranger", "--key-path", str(stranger_path))
        assert {k["name"] for k in exls("management", "ssh-keys", "list")} == {"e2e-key", "stranger"}

        args = ["--endpoint", server.endpoint, "--username", server.user]
        exls("nodes", "import-ssh", "--hostname", "e2e-box", *args, "--ssh-key-id", key["id"])
        exls("nodes", "import-ssh", "--hostname", "locked-out", *args, "--ssh-key-id", stranger["id"])
        box, locked_out = settle(runtime, exls, "e2e-box"), settle(runtime, exls, "locked-out")
        assert box["endpoint"] == server.endpoint and box["resources"]["cpu_cores"] > 0
        assert box["node_status"] in ("AVAILABLE", "WARNING") and locked_out["node_status"] == "FAILED"
        # seed 002 wants in-use nodes refused; a discovered node (AVAILABLE, or WARNING on a machine with
        # Docker) and a node whose discovery failed are in no cluster, so both can go
        deleted = exls("nodes", "delete", "e2e-box", "locked-out", "-y")
        assert "deleted successfully" in json.dumps(deleted) and "Failed" not in json.dumps(deleted), deleted
        assert exls("nodes", "list") == {"message": "No nodes found. Run 'exls nodes import' to import a node."}
    exls("management", "ssh-keys", "delete", "stranger")
    exls("management", "ssh-keys", "delete", key["id"])
    assert exls("management", "ssh-keys", "list") in ([], {"message": "No SSH keys found."})


def test_exls_sees_every_node_of_a_large_pool(runtime, exls, tmp_path):
    # seed 002, list_nodes: "Retrieve all nodes in your node pool": exls sends no cursor, so one answer holds all
    cfg = ex.Configuration(host=f"{runtime.base_url}/v1", access_token=exls.token)
    with ex.ApiClient(cfg) as api:
        offer = ex.OffersApi(api).get_offers(page_size=1).offers[0]
        for batch in range(3):
            ex.NodesApi(api).import_node_from_offer(offer.id, hostname=f"fleet{batch}", amount=50)
    listed = exls("nodes", "list")
    assert len(listed) == 150 and len({n["id"] for n in listed}) == 150
    assert exls("nodes", "get", "fleet2-50")["hostname"] == "fleet2-50"
