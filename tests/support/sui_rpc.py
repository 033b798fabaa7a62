"""The Sui GraphQL stand-in as a pytest fixture (nodeplane_local/harness/sui_rpc.py, on DynamoDB Local).

``rpc_chain`` starts the stand-in and points every function at it; ``Recorder`` wraps the GraphQL adapter to see
every submission (the owned object versions it uses) without changing what is sent.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from nodeplane.chain.decoding import decode_move_call
from nodeplane.chain.keys import Keypair
from nodeplane_local.harness.chain import ddb_client, new_ledger
from nodeplane_local.harness.sui_rpc import RpcChain, fresh_ops, start_rpc_chain, use_rpc_chain

LEDGER_ADMIN = Keypair.generate("ed25519")


@pytest.fixture
def rpc_chain(aws_env: dict[str, Any], dynamodb_local: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[RpcChain]:
    """Every function of this test talks GraphQL to a stand-in; nodeplane's admin wallet is the ledger's admin."""
    chain = start_rpc_chain(new_ledger(ddb_client(dynamodb_local), LEDGER_ADMIN))
    try:
        use_rpc_chain(chain, monkeypatch.setenv)
        yield chain
    finally:
        fresh_ops()
        chain.server.stop()


@dataclass
class Recorder:
    """Sees every transaction the adapter submits: its digest and the owned object versions it uses."""

    executions: Counter[str] = field(default_factory=Counter)  # digest -> times sent
    versions: Counter[tuple[str, int]] = field(default_factory=Counter)  # (object id, version) -> transactions
    rejected: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def wrap(self, chain: Any) -> None:
        from nodeplane.chain.access import TransactionRejected
        from nodeplane.chain.signatures import transaction_digest

        execute = chain.execute

        def recording(tx: bytes, signatures: Any) -> Any:
            decoded = decode_move_call(tx)
            with self._lock:
                self.executions[transaction_digest(tx)] += 1
                for ref in decoded.owned_inputs():
                    self.versions[(ref.object_id, ref.version)] += 1
            try:
                return execute(tx, signatures)
            except TransactionRejected as exc:
                with self._lock:
                    self.rejected.append(str(exc))
                raise

        chain.execute = recording

    def reused(self) -> dict[tuple[str, int], int]:
        return {k: n for k, n in self.versions.items() if n > 1}
