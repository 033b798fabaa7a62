"""The operator CLI (`nodeplane operator …`, the installed console script) against the local runtime over HTTP:
an operator imports its key from a Sui CLI keystore by alias, registers a node, publishes its X25519 key,
subscribes it to a confidential task, and claims the stack a client used; every mistake ends with the server's
own message and the exit code the CLI documents."""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from nodeplane.chain.keys import Keypair
from nodeplane.network.usage import usage_digest
from tests.support.runtime import LocalRuntime

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("runtime")]  # one worker, one shared runtime

NODEPLANE = Path(sys.executable).parent / "nodeplane"
MODEL = "e2e/operator-cli"
PRICE = 100


def run_cli(
    rt: LocalRuntime, tenant: str | None, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NODEPLANE_")}
    env["NODEPLANE_URL"] = rt.base_url
    if tenant:
        env["NODEPLANE_TOKEN"] = rt.token(tenant)
    return subprocess.run(
        [str(NODEPLANE), "operator", *args], env=env, input=stdin, capture_output=True, text=True, timeout=120
    )


def cli_json(rt: LocalRuntime, tenant: str, *args: str) -> Any:
    out = run_cli(rt, tenant, *args, "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def admin(rt: LocalRuntime, *args: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "nodeplane_local", "admin", "--data-dir", str(rt.data_dir), *args],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def sui_config(folder: Path, keys: dict[str, Keypair]) -> Path:
    """A Sui CLI config folder: sui.keystore (base64 flag‖key) and sui.aliases (alias → base64 flag‖public key)."""
    folder.mkdir(parents=True)
    keystore = folder / "sui.keystore"
    keystore.write_text(json.dumps([k.to_keystore() for k in keys.values()]))
    aliases = [
        {"alias": alias, "public_key_base64": base64.b64encode(bytes([k.flag]) + k.public_key).decode()}
        for alias, k in keys.items()
    ]
    (folder / "sui.aliases").write_text(json.dumps(aliases))
    return keystore


def test_operator_goes_from_a_sui_keystore_to_a_claimed_stack(runtime: LocalRuntime, tmp_path: Path) -> None:
    operator, client = "cli-operator", "cli-client"
    keys = {"laptop": Keypair.generate("ed25519"), "node-wallet": Keypair.generate("secp256k1")}
    keystore = sui_config(tmp_path / "sui_config", keys)
    task = admin(runtime, "create-task", "--model", MODEL, "--security-level", "1")["task_small_id"]
    admin(runtime, "rotate-keys")

    imported = cli_json(runtime, operator, "keys", "import", "node-wallet", "--keystore", str(keystore))
    assert imported == {"sui_address": keys["node-wallet"].address, "scheme": "secp256k1"}

    registered = run_cli(runtime, operator, "nodes", "register")
    assert registered.returncode == 0, registered.stderr
    node = int(registered.stdout.split()[2])  # "Registered node N (badge 0x…)."
    assert "tx " in registered.stdout

    secret_file = tmp_path / "node.x25519"
    published = cli_json(runtime, operator, "nodes", "publish-key", str(node), str(secret_file))
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    secret = X25519PrivateKey.from_private_bytes(base64.b64decode(secret_file.read_text()))
    public = base64.b64encode(secret.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()
    assert published["public_key"] == public and published["tx_digest"]

    listed = cli_json(runtime, operator, "tasks", "list")
    assert {"task_small_id": task, "model_name": MODEL, "security_level": 1}.items() <= next(
        t for t in listed if t["task_small_id"] == task
    ).items()
    table = run_cli(runtime, operator, "tasks", "list").stdout
    assert any(line.split()[:3] == [str(task), MODEL, "confidential"] for line in table.splitlines())

    subscribed = run_cli(runtime, operator, "subscribe", str(task), "--price", str(2 * PRICE))
    assert subscribed.returncode == 0 and f"subscribed to task {task}: tx " in subscribed.stdout
    assert cli_json(runtime, operator, "update", str(task), "--price", str(PRICE), "--node", str(node))["tx_digest"]
    [subscription] = cli_json(runtime, operator, "subscriptions", "--node", str(node))
    assert subscription["price_per_one_million_compute_units"] == PRICE

    # a client locks the node (and gets the key the CLI published); the node reports what it computed
    admin(runtime, "credit", "--user", client, "--amount", "1000000")
    lock = httpx.post(
        f"{runtime.base_url}/proxy/v1/nodes/lock",
        json={"model": MODEL, "max_num_tokens": 500},
        headers={"Authorization": f"Bearer {runtime.token(client)}"},
        timeout=60,
    )
    assert lock.status_code == 200, lock.text
    assert (lock.json()["node_small_id"], lock.json()["public_key"]) == (node, public)
    stack, lock_id = lock.json()["stack_small_id"], lock.headers["X-Lock-Id"]
    data = {"stack_small_id": stack, "node_small_id": node, "num_compute_units": 300, "lock_id": lock_id}
    data["request_id"] = "cli-usage-1"
    signature = keys["node-wallet"].sign_hashed(usage_digest(stack, node, 300, lock_id, "cli-usage-1"))
    used = httpx.post(f"{runtime.base_url}/proxy/v1/stacks/usage", json={"data": data, "signature": signature})
    assert used.status_code == 200, used.text

    claimed = run_cli(runtime, operator, "claim", str(stack))
    assert claimed.returncode == 0 and claimed.stdout.startswith("claimed: tx "), claimed.stderr
    [row] = [r for r in cli_json(runtime, operator, "stacks", "claimed", str(node)) if r["stack_small_id"] == stack]
    assert (row["num_claimed_compute_units"], row["settlement_complete"]) == (300, True)
    lines = run_cli(runtime, operator, "stacks", "claimed").stdout.splitlines()
    assert lines[0].split()[:3] == ["STACK", "NODE", "UNITS"]
    assert [str(stack), str(node), "300", "Complete", "0/0", "yes"] in [line.split()[:6] for line in lines]

    again = run_cli(runtime, operator, "claim", str(stack))
    assert again.returncode == 1 and "409" in again.stderr and "already claimed" in again.stderr
    assert cli_json(runtime, operator, "unsubscribe", str(task))["tx_digest"]
    assert cli_json(runtime, operator, "subscriptions", "--node", str(node)) == []


def test_each_failure_has_its_exit_code_and_the_servers_words(runtime: LocalRuntime, tmp_path: Path) -> None:
    operator = "cli-operator-errors"
    key = Keypair.generate("ed25519")
    keystore = sui_config(tmp_path / "sui_config", {"first": Keypair.generate("ed25519"), "second": key})

    ambiguous = run_cli(runtime, operator, "keys", "import", "--keystore", str(keystore))
    assert ambiguous.returncode == 2 and "holds 2 keys" in ambiguous.stderr and "second" in ambiguous.stderr
    missing = run_cli(runtime, operator, "keys", "import", "third", "--keystore", str(keystore))
    assert missing.returncode == 2 and "no key 'third'" in missing.stderr
    assert run_cli(runtime, operator, "keys", "import", "--keystore", str(tmp_path / "none")).returncode == 2
    not_a_key = run_cli(runtime, operator, "keys", "import", "--private-key", "suiprivkey1nope")
    assert not_a_key.returncode == 2 and "not a Sui private key" in not_a_key.stderr

    # nothing registered yet: the server refuses, in its own words
    refused = run_cli(runtime, operator, "subscribe", "1", "--price", "5")
    assert refused.returncode == 1 and "keys" in refused.stderr.lower()

    by_index = cli_json(runtime, operator, "keys", "import", "1", "--keystore", str(keystore))
    assert by_index["sui_address"] == key.address
    from_stdin = run_cli(runtime, operator, "keys", "import", "--private-key", "-", "--json", stdin=key.to_bech32())
    assert json.loads(from_stdin.stdout)["sui_address"] == key.address

    node = cli_json(runtime, operator, "nodes", "register")["node_small_id"]
    existing = tmp_path / "existing.key"
    existing.write_text("keep me")
    kept = run_cli(runtime, operator, "nodes", "publish-key", str(node), str(existing))
    assert kept.returncode == 2 and "never overwrites" in kept.stderr and existing.read_text() == "keep me"
    not_mine = run_cli(runtime, operator, "nodes", "publish-key", str(node + 1000), str(tmp_path / "other.key"))
    assert not_mine.returncode == 1 and "not one of your nodes" in not_mine.stderr
    assert not (tmp_path / "other.key").exists()  # refused: the private half of an unpublished key is removed

    no_token = run_cli(runtime, None, "tasks", "list")
    assert no_token.returncode == 4 and "NODEPLANE_TOKEN" in no_token.stderr
    bad_token = run_cli(runtime, None, "tasks", "list", "--token", "not-a-jwt")
    assert bad_token.returncode == 4 and "401" in bad_token.stderr
    unreachable = run_cli(runtime, operator, "tasks", "list", "--url", "http://127.0.0.1:9")
    assert unreachable.returncode == 3 and "cannot reach" in unreachable.stderr
    uneven = run_cli(runtime, operator, "claim", "1", "2", "--units", "5")
    assert uneven.returncode == 2 and "--units" in uneven.stderr


def test_a_generated_key_is_printed_once_and_is_the_imported_one(runtime: LocalRuntime) -> None:
    shown = cli_json(runtime, "cli-operator-new", "keys", "import", "--generate", "--scheme", "secp256r1")
    assert shown["private_key"].startswith("suiprivkey1")
    assert Keypair.from_keystore(shown["private_key"]).address == shown["sui_address"]
    assert shown["scheme"] == "secp256r1"
