"""Operators on the local ledger, as the /daemon tests drive them: the ledger's chain operations installed for a
test (the ``ledger`` fixture), a call to a /daemon handler, an operator with its key imported and a node
registered on chain."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from nodeplane.chain.keys import Keypair
from nodeplane.network import chain_impl, chainops
from nodeplane_local.harness.lambda_events import Reply, http_event, invoke


@pytest.fixture
def ledger(aws_env: dict[str, Any]) -> Iterator[chainops.ChainOps]:
    chain_impl.default_ops.cache_clear()
    chainops.use(None)
    yield chainops.ops()
    chainops.use(None)
    chain_impl.default_ops.cache_clear()


def daemon(
    function: str,
    method: str,
    route: str,
    body: Any = None,
    tenant: str = "op-1",
    params: Any = None,
    query: Any = None,
) -> Reply:
    return invoke(function, http_event(method, route, params, body=body, tenant=tenant, query=query))


def operator_with_node(scheme: str = "ed25519", tenant: str = "op-1") -> tuple[Keypair, int]:
    key = Keypair.generate(scheme)
    imported = daemon("daemon_keys", "POST", "/daemon/keys", {"keystore": key.to_keystore()}, tenant=tenant)
    assert imported.status == 201 and imported.body == {"sui_address": key.address}
    registered = daemon("daemon_node_register", "POST", "/daemon/nodes/register", tenant=tenant)
    assert registered.status == 200 and registered.body["tx_digest"]
    return key, registered.body["node_small_id"]
