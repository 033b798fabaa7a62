"""The Sui GraphQL stand-in speaks the published schema: introspection gives back exactly that schema, the
version header pysui reads is there, pysui's own GraphQL client works against it, and whatever the schema
refuses is refused the way Sui's service refuses it (GraphQL errors with codes, never a 500)."""

from __future__ import annotations

import asyncio
import json
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from graphql import build_client_schema, build_schema, get_introspection_query, print_schema

from nodeplane.chain.keys import Keypair
from nodeplane.chain.ledger import LocalLedger
from nodeplane_local.harness.chain import ddb_client, new_ledger
from nodeplane_local.sui_rpc.server import SCHEMA_PATH, SUI_RPC_VERSION, SuiGraphQLServer

pytestmark = [pytest.mark.dynamodb_local]

ADMIN = Keypair.generate()


@pytest.fixture(scope="module")
def ledger(dynamodb_local: str) -> LocalLedger:
    return new_ledger(ddb_client(dynamodb_local), ADMIN)


@pytest.fixture(scope="module")
def server(ledger: LocalLedger) -> Iterator[SuiGraphQLServer]:
    srv = SuiGraphQLServer(ledger).start()
    yield srv
    srv.stop()


def post(url: str, body: bytes | dict[str, Any]) -> tuple[int, dict[str, str], Any]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, headers, raw = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        status, headers, raw = exc.code, dict(exc.headers), exc.read()
    try:
        return status, headers, json.loads(raw)
    except ValueError:
        return status, headers, raw.decode()


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body["errors"]]


def test_introspection_returns_the_published_schema(server: SuiGraphQLServer) -> None:
    status, headers, body = post(server.url, {"query": get_introspection_query()})
    assert status == 200 and "errors" not in body
    served = build_client_schema(body["data"])
    assert print_schema(served) == print_schema(build_schema(SCHEMA_PATH.read_text()))
    assert headers["x-sui-rpc-version"] == SUI_RPC_VERSION


def test_documents_outside_the_schema_are_refused_like_sui_refuses_them(server: SuiGraphQLServer) -> None:
    status, headers, body = post(server.url, {"query": "{ epoch { effectsJson } }"})
    assert (status, body["data"], codes(body)) == (200, None, ["GRAPHQL_VALIDATION_FAILED"])
    assert "effectsJson" in body["errors"][0]["message"] and headers["x-sui-rpc-version"]
    status, _, body = post(server.url, {"query": "{ epoch { epochId "})
    assert (status, body["data"], codes(body)) == (200, None, ["GRAPHQL_PARSE_FAILED"])
    status, _, body = post(server.url, {"query": "mutation { executeTransaction { errors } }"})
    assert (status, set(codes(body))) == (200, {"GRAPHQL_VALIDATION_FAILED"})  # two missing arguments


def test_bad_input_is_the_callers_fault_and_never_a_500(server: SuiGraphQLServer) -> None:
    query = "query A($a: SuiAddress!) { address(address: $a) { address } }"
    status, _, body = post(server.url, {"query": query, "variables": {"a": "not-an-address"}})
    assert (status, body["data"], codes(body)) == (200, None, ["BAD_USER_INPUT"])
    status, _, body = post(
        server.url, {"query": '{ address(address: "0x2") { objects(first: 51) { nodes { address } } } }'}
    )
    assert status == 200 and codes(body) == ["BAD_USER_INPUT"] and "exceeds max of 50" in body["errors"][0]["message"]
    mutation = (
        "mutation E($t: Base64!, $s: [Base64!]!) "
        "{ executeTransaction(transactionDataBcs: $t, signatures: $s) { errors } }"
    )
    status, _, body = post(server.url, {"query": mutation, "variables": {"t": "AAAA", "s": ["bm90IGEgc2lnbmF0dXJl"]}})
    assert status == 200 and codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"].startswith("Invalid signature format in signature 0")
    status, _, body = post(server.url, {"query": mutation, "variables": {"t": "AAAA", "s": []}})
    assert status == 200 and body["errors"][0]["message"].startswith("Invalid BCS encoding in transaction data")
    for raw in (b"{not json", b'{"variables": {}}', b"[1, 2]"):
        status, headers, text = post(server.url, raw)
        assert status == 400 and text.startswith("Invalid request") and headers["x-sui-rpc-version"]


def test_fields_without_data_are_null(server: SuiGraphQLServer) -> None:
    status, _, body = post(
        server.url, {"query": '{ coinMetadata(coinType: "0x2::sui::SUI") { decimals } chainIdentifier }'}
    )
    assert status == 200 and "errors" not in body
    assert body["data"]["coinMetadata"] is None and len(body["data"]["chainIdentifier"]) == 8


def test_pysui_graphql_client_works_against_the_stand_in(server: SuiGraphQLServer, ledger: LocalLedger) -> None:
    """pysui's GqlProtocolClient fetches the schema by introspection, reads x-sui-rpc-version, runs its config
    query, then reads coins (decoding their BCS) and the epoch."""
    from pysui import GetBasicCurrentEpochInfo, GetCoins, GroupProtocol, NetworkType, PysuiConfiguration, client_factory

    kp = Keypair.generate()
    ledger.faucet(kp.address, sui=123_456_789)
    folder = Path(tempfile.mkdtemp(prefix="pysui-"))
    config = PysuiConfiguration.initialize_config(in_folder=folder, init_groups=[{"name": "_init"}])
    config.new_group(
        group_name="standin",
        profile_block=[
            {
                "profile_name": "local",
                "url": server.url,
                "network_type": NetworkType.PRODUCTION,
                "faucet_url": None,
                "faucet_status_url": None,
                "make_active": True,
            }
        ],
        key_block=[{"key_string": kp.to_keystore(), "alias": "k"}],
        active_address_index=0,
        group_protocol=GroupProtocol.GRAPHQL,
        make_group_active=True,
        persist=True,
    )
    client = client_factory(PysuiConfiguration(group_name="standin", from_cfg_path=str(folder)))

    async def read() -> tuple[Any, Any]:
        return (
            await client.execute(command=GetBasicCurrentEpochInfo()),
            await client.execute(command=GetCoins(owner=kp.address)),
        )

    epoch, coins = asyncio.run(read())
    assert epoch.is_ok() and epoch.result_data.reference_gas_price == 1000
    assert coins.is_ok() and [c.balance for c in coins.result_data.objects] == [123_456_789]
