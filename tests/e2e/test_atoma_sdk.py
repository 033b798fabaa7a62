"""The published atoma-sdk 0.1.3 and the operator API over real HTTP, on the local ledger: an operator
registers a node and subscribes it, the event poller projects it, the node registers its address with a
signature of each Sui scheme, and a client locks a confidential node and encrypts to its key.

The SDK runs in its own virtualenv (``.venv-atoma``, made by ``make test``) with the dependencies it declares,
driven by ``tests/e2e/atoma/client.py``: it pins pydantic below the version nodeplane runs.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from nodeplane.chain.keys import Keypair
from nodeplane.chain.signatures import registration_digest

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("runtime")]  # one worker, one shared runtime
MODEL = "e2e/confidential-model"
ROOT = Path(__file__).resolve().parents[2]
ATOMA_PYTHON = ROOT / ".venv-atoma" / "bin" / "python"


def sdk(runtime, token: str, *calls: dict[str, Any]) -> list[dict[str, Any]]:
    """Run ``calls`` through atoma-sdk's ``AtomaSDK`` against the runtime's /proxy; one result per call."""
    assert ATOMA_PYTHON.exists(), "atoma-sdk's virtualenv is missing: `make test` creates .venv-atoma"
    out = subprocess.run(
        [str(ATOMA_PYTHON), str(ROOT / "tests" / "e2e" / "atoma" / "client.py"), f"{runtime.base_url}/proxy", token],
        input=json.dumps(list(calls)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def admin(runtime, *args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "nodeplane_local", "admin", "--data-dir", str(runtime.data_dir), *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def daemon(runtime, tenant: str, method: str, path: str, body=None) -> httpx.Response:
    return httpx.request(
        method,
        f"{runtime.base_url}{path}",
        json=body,
        timeout=60,
        headers={"Authorization": f"Bearer {runtime.token(tenant)}"},
    )


@pytest.fixture(scope="module", params=["ledger", "sui_rpc"])
def runtime(request):
    """Both modes: the ledger in process, and every function talking GraphQL to a Sui stand-in."""
    return request.getfixturevalue("local_runtime" if request.param == "ledger" else "sui_rpc_runtime")


def poll_chain(runtime) -> None:
    httpx.post(f"{runtime.base_url}/local/schedules/ChainEventsPollerFunction", timeout=60).raise_for_status()


@pytest.fixture(scope="module")
def operator_node(runtime):
    task = admin(runtime, "create-task", "--model", MODEL, "--security-level", "1")
    admin(runtime, "rotate-keys")
    nodes = {}
    for scheme in ("ed25519", "secp256k1", "secp256r1"):
        key = Keypair.generate(scheme)
        tenant = f"operator-{scheme}"
        assert daemon(runtime, tenant, "POST", "/daemon/keys", {"keystore": key.to_keystore()}).status_code == 201
        reg = daemon(runtime, tenant, "POST", "/daemon/nodes/register")
        assert reg.status_code == 200, reg.text
        node = reg.json()["node_small_id"]
        x25519 = X25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        published = daemon(
            runtime,
            tenant,
            "POST",
            f"/daemon/nodes/{node}/public_key",
            {"public_key": base64.b64encode(x25519).decode()},
        )
        assert published.status_code == 200, published.text
        sub = daemon(
            runtime,
            tenant,
            "POST",
            "/daemon/task_subscribe",
            {"task_small_id": task["task_small_id"], "price_per_one_million_compute_units": 100},
        )
        assert sub.status_code == 200 and sub.json()["tx_digest"], sub.text
        nodes[scheme] = (key, node, x25519)
    poll_chain(runtime)
    return nodes


@pytest.mark.parametrize("scheme", ["ed25519", "secp256k1", "secp256r1"])
def test_nodes_create_with_each_scheme(runtime, operator_node, scheme):
    key, node, _ = operator_node[scheme]
    url = "https://node.e2e.example:3000"
    signature = key.sign_hashed(registration_digest(node, url, "PT"))
    registered, tampered, wrong_signer, unknown = sdk(
        runtime,
        "unused",
        {
            "op": "nodes_create",
            "data": {"country": "PT", "node_small_id": node, "public_address": url},
            "signature": signature,
        },
        {
            "op": "nodes_create",
            "data": {"country": "DE", "node_small_id": node, "public_address": url},
            "signature": signature,
        },
        {
            "op": "nodes_create",
            "data": {"country": "PT", "node_small_id": node, "public_address": url},
            "signature": Keypair.generate(scheme).sign_hashed(registration_digest(node, url, "PT")),
        },
        {
            "op": "nodes_create",
            "data": {"country": "PT", "node_small_id": 4242, "public_address": url},
            "signature": key.sign_hashed(registration_digest(4242, url, "PT")),
        },
    )
    assert registered == {"ok": {"message": "Success"}}
    assert tampered["error"]["status_code"] == 400
    assert wrong_signer["error"]["status_code"] == 400
    assert unknown["error"]["status_code"] == 404


def test_lock_then_encrypt_to_the_node_key(runtime, operator_node):
    admin(runtime, "credit", "--user", "client-e2e", "--amount", "1000000")
    keys = {base64.b64encode(x).decode() for _, _, x in operator_node.values()}
    lock, again, encrypted, unknown_model = sdk(
        runtime,
        runtime.token("client-e2e"),
        {"op": "lock", "model": MODEL},
        {"op": "lock", "model": MODEL},
        {"op": "encrypt", "model": MODEL, "messages": [{"role": "user", "content": "hi"}]},
        {"op": "lock", "model": "no-such-model"},
    )
    assert lock["ok"]["public_key"] in keys and lock["ok"]["stack_entry_digest"]
    assert again["ok"]["stack_small_id"] == lock["ok"]["stack_small_id"] and again["ok"]["stack_entry_digest"] is None
    assert encrypted["ok"]["ciphertext"] and encrypted["ok"]["node_dh_public_key"] in keys
    assert unknown_model["error"]["status_code"] == 503
    (anonymous,) = sdk(runtime, "not-a-jwt", {"op": "lock", "model": MODEL})
    assert anonymous["error"]["status_code"] == 401
