"""Running the stand-in as a service: its own DynamoDB Local under ``<data-dir>/sui-rpc/`` (kept across restarts,
independent of ``nodeplane-local run``), a persistent ledger admin key, and a state file other commands read.

``<data-dir>/sui-rpc/state.json`` (while serving): the GraphQL URL, the DynamoDB endpoint and table of the ledger,
and the network parameters a deployment needs (package id, AtomaDb id and initial shared version, USDC type).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from nodeplane.chain.keys import Keypair
from nodeplane.chain.ledger import LocalLedger
from nodeplane_local import provision
from nodeplane_local.engines import REPO_ROOT, DynamoDBLocal
from nodeplane_local.provision import client
from nodeplane_local.sui_rpc.server import SuiGraphQLServer
from nodeplane_local.template import parse_template

TABLE: Final = "ledger"
STATE_FILE: Final = "state.json"
ADMIN_KEY_FILE: Final = "admin.keystore"


class StandInError(RuntimeError):
    """The stand-in cannot start or cannot be reached; the message says why."""


def folder(data_dir: Path) -> Path:
    return data_dir / "sui-rpc"


def _ensure_table(client: Any) -> None:
    """The template's LedgerTable, named ``ledger`` (kept across restarts)."""
    provision.create_table(client, parse_template(REPO_ROOT / "template.yaml"), "LedgerTable", TABLE)


def admin_key(data_dir: Path) -> Keypair:
    """The ledger admin's key (it holds the AtomaManagerBadge), created on first start, readable only by you."""
    path = folder(data_dir) / ADMIN_KEY_FILE
    if path.exists():
        return Keypair.from_keystore(path.read_text())
    path.parent.mkdir(parents=True, exist_ok=True)
    keypair = Keypair.generate("ed25519")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(keypair.to_keystore())
    return keypair


def read_state(data_dir: Path) -> dict[str, Any] | None:
    """The running stand-in's state, None if none serves from ``data_dir``."""
    path = folder(data_dir) / STATE_FILE
    if not path.exists():
        return None
    state: dict[str, Any] = json.loads(path.read_text())
    try:
        os.kill(int(state["pid"]), 0)
    except (OSError, ValueError, KeyError):
        return None  # left behind by a stand-in that did not stop cleanly
    return state


def connect(data_dir: Path, *, cross_validation_permille: int | None = None) -> LocalLedger:
    """The ledger of the stand-in serving from ``data_dir`` (for admin commands in another process);
    ``cross_validation_permille``: the sampling rate of the transactions sent through it (the contract's default)."""
    state = read_state(data_dir)
    if state is None:
        raise StandInError(f"no Sui GraphQL stand-in serves from {data_dir}: start `nodeplane-local sui-rpc` first")
    extra = (
        {}
        if cross_validation_permille is None
        else {"cross_validation_probability_permille": cross_validation_permille}
    )
    return LocalLedger(
        client("dynamodb", state["dynamodb_url"]), state["table"], admin_address=state["admin_address"], **extra
    )


@dataclass
class StandIn:
    """A started stand-in: call :meth:`stop` to end it."""

    data_dir: Path
    server: SuiGraphQLServer
    engine: Any
    ledger: LocalLedger
    state: dict[str, Any]

    @classmethod
    def start(
        cls, data_dir: Path, *, port: int = 0, host: str = "127.0.0.1", cross_validation_permille: int | None = None
    ) -> StandIn:
        if read_state(data_dir) is not None:
            # two DynamoDB Local processes on one -dbPath would corrupt each other's files
            raise StandInError(f"a Sui GraphQL stand-in already serves from {data_dir}")
        admin = admin_key(data_dir)
        engine = DynamoDBLocal(db_path=folder(data_dir) / "dynamodb")
        try:
            ddb = client("dynamodb", engine.url)
            _ensure_table(ddb)
            extra = (
                {}
                if cross_validation_permille is None
                else {"cross_validation_probability_permille": cross_validation_permille}
            )
            ledger = LocalLedger(ddb, TABLE, admin_address=admin.address, **extra)
            info = ledger.genesis()
            server = SuiGraphQLServer(ledger, host=host, port=port).start()
        except Exception:
            engine.stop()
            raise
        state = {
            "url": server.url,
            "pid": os.getpid(),
            "dynamodb_url": engine.url,
            "table": TABLE,
            "admin_address": admin.address,
            "package": info["package"],
            "atoma_db": info["db_id"],
            "atoma_db_initial_shared_version": info["db_initial_shared_version"],
            "usdc_type": info["usdc_type"],
            "admin_badge": info["admin_badge"],
        }
        (folder(data_dir) / STATE_FILE).write_text(json.dumps(state, indent=2))
        return cls(data_dir, server, engine, ledger, state)

    def stop(self) -> None:
        (folder(self.data_dir) / STATE_FILE).unlink(missing_ok=True)
        self.server.stop()
        self.engine.stop()
