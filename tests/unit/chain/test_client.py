"""ChainClient: the ledger and SuiClient share one interface; SuiClient tested with a fake executor."""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

import pytest

from nodeplane.chain.client import ChainClient, SuiClient, SuiClientError
from nodeplane.chain.ledger import LocalLedger
from nodeplane.chain.signatures import transaction_digest

TX = base64.b64decode(
    json.loads((Path(__file__).parents[2] / "data" / "sui" / "transactions.json").read_text())["transactions"][0][
        "tx_bytes_b64"
    ]
)


def test_both_implement_the_protocol() -> None:
    assert isinstance(SuiClient("https://example.invalid", gas_price=1000), ChainClient)
    assert issubclass(LocalLedger, ChainClient)


def test_sui_client_passes_base64_and_reports_status() -> None:
    seen = {}

    async def fake(tx_b64: str, sigs: list[str]) -> dict:
        seen["tx"], seen["sigs"] = tx_b64, sigs
        return {"status": "failure", "error": "MoveAbort(..., 312012005)", "digest": None}

    res = SuiClient("https://rpc", executor=fake).submit(TX, ["sig"])
    assert base64.b64decode(seen["tx"]) == TX and seen["sigs"] == ["sig"]
    assert (res.status, res.digest, res.error) == ("failure", transaction_digest(TX), "MoveAbort(..., 312012005)")


def test_sui_client_transport_error_keeps_digest() -> None:
    async def broken(tx_b64: str, sigs: list[str]) -> dict:
        raise ConnectionRefusedError("down")

    with pytest.raises(SuiClientError) as info:
        SuiClient("https://rpc", executor=broken).submit(TX, ["sig"])
    assert info.value.digest == transaction_digest(TX)


def test_building_and_ledger_submission_do_not_import_pysui() -> None:
    """pysui (about 0.5 s to import) is loaded only to talk to a Sui full node."""
    import subprocess

    code = (
        "import nodeplane.chain.client, nodeplane.chain.signers, nodeplane.chain.ledger, sys;"
        "from nodeplane.chain.transactions import CallSpec, ObjectRef, SharedObject, build_atoma_transaction as b;"
        "ref = ObjectRef('0x2', 1, '11111111111111111111111111111111');"
        "b(package='0x1', atoma_db=SharedObject('0x3', 1), sender='0x4', calls=[CallSpec('register_node_entry')],"
        " gas_payment=[ref], gas_price=1000);"
        "print('pysui' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"


def test_pysui_config_is_written_offline(tmp_path: Path) -> None:
    folder = SuiClient("https://fullnode.example:443/graphql", config_dir=str(tmp_path / "cfg")).write_config()
    cfg = json.loads((folder / "PysuiConfig.json").read_text())
    assert "https://fullnode.example:443/graphql" in json.dumps(cfg)
