"""The stand-in as a service: its own DynamoDB Local under the data folder, kept across restarts; admin
commands in another process reach its ledger (faucet, epoch); one stand-in per data folder."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nodeplane.chain.contract import SUI_COIN_TYPE
from nodeplane.chain.graphql import GraphQLChainAccess
from nodeplane.chain.keys import Keypair
from nodeplane_local.engines import free_port
from nodeplane_local.sui_rpc.service import StandIn, StandInError, connect, read_state

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


def test_nodeplane_local_sui_rpc_serves_and_stops(tmp_path: Path) -> None:
    """The commands a developer types: `sui-rpc` serves until SIGTERM, `sui-rpc-admin` funds and reports."""
    port = free_port()
    command = [sys.executable, "-m", "nodeplane_local"]
    server = subprocess.Popen(
        [*command, "sui-rpc", "--port", str(port), "--data-dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while read_state(tmp_path) is None:
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            assert time.monotonic() < deadline, "the stand-in did not start"
            time.sleep(0.2)
        wallet = Keypair.generate()

        def admin(*arguments: str) -> dict:
            out = subprocess.run(
                [*command, "sui-rpc-admin", "--data-dir", str(tmp_path), *arguments],
                capture_output=True,
                text=True,
                check=True,
            )
            return json.loads(out.stdout)

        info = admin("info")
        assert info["url"] == f"http://127.0.0.1:{port}/graphql" and info["package"].startswith("0x")
        assert len(admin("faucet", "--address", wallet.address, "--sui", "5", "--usdc", "7")["coins"]) == 2
        assert admin("advance-epoch")["epoch"] == 1
        chain = GraphQLChainAccess(info["url"])
        assert sorted(c.balance or 0 for c in chain.owned_objects(wallet.address, "0x2::coin::Coin")) == [5, 7]
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    assert server.returncode == 0 and read_state(tmp_path) is None
