"""The published atoma-sdk 0.1.3 and the operator API over real HTTP, on the local ledger: an operator
registers a node and subscribes it, the event poller projects it, the node registers its address with a
signature of each Sui scheme, and a client locks a confidential node and encrypts to its key."""

from __future__ import annotations

import base64
import json
import subprocess
import sys

import httpx
import pytest
from atoma_sdk import AtomaSDK, models
from atoma_sdk.crypto_utils import encrypt_message
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pydantic import BaseModel

from nodeplane.chain.keys import Keypair
from nodeplane.chain.signatures import registration_digest

pytestmark = pytest.mark.e2e
MODEL = "e2e/confidential-model"


def admin(runtime, *args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "nodeplane.local", "admin", "--data-dir", str(runtime.data_dir), *args],
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
    with AtomaSDK(server_url=f"{runtime.base_url}/proxy", bearer_auth="unused") as sdk:
        res = sdk.nodes.nodes_create(
            data={"country": "PT", "node_small_id": node, "public_address": url}, signature=signature
        )
        assert res.message == "Success"
        for data, sig, status in (
            ({"country": "DE", "node_small_id": node, "public_address": url}, signature, 400),  # tampered field
            (
                {"country": "PT", "node_small_id": node, "public_address": url},
                Keypair.generate(scheme).sign_hashed(registration_digest(node, url, "PT")),
                400,
            ),  # wrong signer
            (
                {"country": "PT", "node_small_id": 4242, "public_address": url},
                key.sign_hashed(registration_digest(4242, url, "PT")),
                404,
            ),  # unknown node
        ):
            with pytest.raises(models.APIError) as err:
                sdk.nodes.nodes_create(data=data, signature=sig)
            assert err.value.status_code == status


def test_lock_then_encrypt_to_the_node_key(runtime, operator_node):
    admin(runtime, "credit", "--user", "client-e2e", "--amount", "1000000")
    keys = {base64.b64encode(x).decode() for _, _, x in operator_node.values()}
    with AtomaSDK(server_url=f"{runtime.base_url}/proxy", bearer_auth=runtime.token("client-e2e")) as sdk:
        lock = sdk.nodes.nodes_create_lock(model=MODEL)
        assert lock.public_key in keys and lock.stack_entry_digest
        again = sdk.nodes.nodes_create_lock(model=MODEL)
        assert again.stack_small_id == lock.stack_small_id and again.stack_entry_digest is None

        class Body(BaseModel):
            messages: list[dict[str, str]]

        _, _, request = encrypt_message(
            sdk, X25519PrivateKey.generate(), Body(messages=[{"role": "user", "content": "hi"}]), MODEL
        )
        assert request.ciphertext and request.node_dh_public_key in keys
        with pytest.raises(models.APIError) as err:
            sdk.nodes.nodes_create_lock(model="no-such-model")
        assert err.value.status_code == 503
    with (
        AtomaSDK(server_url=f"{runtime.base_url}/proxy", bearer_auth="not-a-jwt") as anonymous,
        pytest.raises(models.APIError) as err,
    ):
        anonymous.nodes.nodes_create_lock(model=MODEL)
    assert err.value.status_code == 401
