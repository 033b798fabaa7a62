"""The runtime's log in JSON (`nodeplane-local run --log-format json`) over a session that handles secrets: every
line is one JSON object (a record or an EMF metrics line), each request has its record under the apigw-requestid
the client got, the discovery worker and asyncssh log through the same formatter, and no bearer token, keystore,
SSH private key or operator key appears in any line."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from nodeplane.chain.keys import Keypair
from nodeplane_local.engines import free_port
from tests.support import emf
from tests.support.runtime import LocalRuntime

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("logs-e2e")]


@pytest.fixture(scope="module")
def rt() -> Iterator[LocalRuntime]:
    with LocalRuntime(log_format="json") as runtime:
        yield runtime


def _lines(rt: LocalRuntime) -> list[dict[str, Any]]:
    text = rt.log_path.read_text()
    out = []
    for line in text.splitlines():
        try:
            doc = json.loads(line)  # every line of the log is JSON
        except ValueError:
            raise AssertionError(f"not a JSON line in the runtime's log: {line!r}") from None
        assert isinstance(doc, dict), line
        out.append(doc)
    return out


def _wait(rt: LocalRuntime, found: Any, what: str) -> list[dict[str, Any]]:
    for _ in range(300):
        lines = _lines(rt)
        if any(found(line) for line in lines):
            return lines
        time.sleep(0.1)
    raise AssertionError(f"no log line for {what}")


def test_the_json_log_holds_every_record_and_no_secret(rt: LocalRuntime) -> None:
    alice, operator = rt.token("alice"), rt.token("operator")
    ssh_key = Ed25519PrivateKey.generate().private_bytes(Encoding.PEM, PrivateFormat.OpenSSH, NoEncryption())
    ssh_key_b64 = base64.b64encode(ssh_key).decode()
    keypair = Keypair.generate()
    keystore = keypair.to_keystore()
    forged = alice[:-8] + "AAAAAAAA"
    client = httpx.Client(base_url=rt.base_url, timeout=30)

    def send(method: str, path: str, token: str | None, body: Any = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return client.request(method, path, headers=headers, json=body)

    answers = {
        "nodes": send("GET", "/v1/nodes", alice),
        "key": send("POST", "/v1/management/ssh-keys", alice, {"name": "laptop", "private_key_b64": ssh_key_b64}),
        "operator key": send("POST", "/daemon/keys", operator, {"keystore": keystore}),
        "no node": send("PATCH", "/v1/node/n-missing", forged),
        "no model": send("POST", "/proxy/v1/nodes/lock", alice, {"model": "no-such-model"}),
    }
    assert [a.status_code for a in answers.values()] == [200, 201, 201, 401, 503]
    key_id = answers["key"].json()["ssh_key_id"]
    nothing_listens = f"127.0.0.1:{free_port()}"
    imported = send(
        "POST",
        "/v1/node/import/ssh",
        alice,
        {"hostname": "box", "endpoint": nothing_listens, "username": "ubuntu", "ssh_key_id": key_id},
    )
    assert imported.status_code == 201, imported.text
    node_id = imported.json()["node_ids"][0]
    answers["import"] = imported

    lines = _wait(rt, lambda d: d.get("message") == "record" and d.get("nodeId") == node_id, "the discovery record")
    requests = {d["apigwRequestId"]: d for d in lines if d.get("message") == "request"}
    for name, answer in answers.items():
        record = requests[answer.headers["apigw-requestid"]]
        assert record["status"] == answer.status_code, name
        assert record["requestId"] and record["function"] and record["latencyMs"] >= 0, name
    assert requests[answers["nodes"].headers["apigw-requestid"]]["tenant"] == "alice"
    refused = requests[answers["no node"].headers["apigw-requestid"]]
    assert (refused["errorCode"], refused["routeKey"]) == ("AUTH_ERROR", "PATCH /v1/node/{node_id}")
    assert requests[answers["no model"].headers["apigw-requestid"]]["errorCode"] == "SERVICE_UNAVAILABLE"

    (discovery,) = [d for d in lines if d.get("message") == "record" and d.get("nodeId") == node_id][:1]
    assert discovery["messageId"] and discovery["function"] == "DiscoveryWorkerFunction"
    assert discovery["outcome"] == "RETRY"  # nothing listens: a transient failure, retried through the queue
    assert any(d["logger"].startswith("asyncssh") for d in lines if "logger" in d)  # the library's lines, as JSON

    series = emf.series([json.dumps(d) for d in lines if "_aws" in d])
    assert series[("Requests", (("Api", "v1"),))]
    assert series[("Discoveries", (("Outcome", "RETRY"),))]

    text = rt.log_path.read_text()
    secrets = {
        "alice's token": alice,
        "the operator's token": operator,
        "a forged token": forged,
        "the keystore": keystore,
        "the SSH private key": ssh_key.decode(),
        "the SSH private key (base64)": ssh_key_b64,
        "the SSH key's body": ssh_key.decode().splitlines()[1],
        "the operator key (hex)": keypair.private_key.hex(),
        "the operator key (bech32)": keypair.to_bech32(),
    }
    assert [what for what, secret in secrets.items() if secret in text] == []
