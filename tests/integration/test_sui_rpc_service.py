"""The stand-in as a service: its own DynamoDB Local under the data folder, kept across restarts; admin
commands in another process reach its ledger (faucet, epoch); one stand-in per data folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from nodeplane.chain.contract import SUI_COIN_TYPE
from nodeplane.chain.graphql import GraphQLChainAccess
from nodeplane.chain.keys import Keypair
from tests.support import chain as _paths  # noqa: F401  (puts the development package on the path)

from nodeplane_local.sui_rpc.service import StandIn, StandInError, connect, read_state  # isort: skip

pytestmark = [pytest.mark.dynamodb_local]


def test_the_stand_in_keeps_its_ledger_across_restarts(tmp_path: Path) -> None:
    wallet = Keypair.generate()
    first = StandIn.start(tmp_path)
    try:
        assert read_state(tmp_path) == first.state
        with pytest.raises(StandInError, match="already serves"):
            StandIn.start(tmp_path)
        connect(tmp_path).faucet(wallet.address, sui=777)  # as `nodeplane-local sui-rpc-admin faucet` does
        connect(tmp_path).advance_epoch()
        chain = GraphQLChainAccess(first.state["url"])
        assert [c.balance for c in chain.owned_objects(wallet.address, SUI_COIN_TYPE)] == [777]
        assert chain.epoch().epoch_id == 1
    finally:
        first.stop()
    assert read_state(tmp_path) is None
    with pytest.raises(StandInError, match="no Sui GraphQL stand-in"):
        connect(tmp_path)
    again = StandIn.start(tmp_path)
    try:
        assert again.state["package"] == first.state["package"]
        assert again.state["admin_address"] == first.state["admin_address"]
        chain = GraphQLChainAccess(again.state["url"])
        assert [c.balance for c in chain.owned_objects(wallet.address, SUI_COIN_TYPE)] == [777]
        assert (tmp_path / "sui-rpc" / "admin.keystore").stat().st_mode & 0o077 == 0
    finally:
        again.stop()
