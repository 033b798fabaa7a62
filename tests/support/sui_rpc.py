"""nodeplane's chain operations against a Sui GraphQL stand-in (a local ledger on DynamoDB Local behind the
published schema), configured exactly as a deployment on a real network: SUI_RPC_URL and the Atoma parameters.

``rpc_chain`` starts the stand-in and points every function at it; ``Recorder`` wraps the GraphQL adapter to see
every submission (the owned object versions it uses) without changing what is sent.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from nodeplane.chain.keys import Keypair
from nodeplane.chain.ledger import LocalLedger
from nodeplane.chain.transactions import decode_move_call
from nodeplane_local.harness.chain import ddb_client, new_ledger
from nodeplane_local.sui_rpc.resolvers import Backend, Root
from nodeplane_local.sui_rpc.server import SuiGraphQLServer

LEDGER_ADMIN = Keypair.generate("ed25519")


@dataclass
class RpcChain:
    ledger: LocalLedger
    server: SuiGraphQLServer
    info: dict[str, Any]

    @property
    def url(self) -> str:
        return self.server.url

    def environment(self, url: str | None = None) -> dict[str, str]:
        """What the template's parameters give every function for this network."""
        base = self.url.removesuffix("/graphql")
        return {
            "SUI_RPC_URL": url or self.url,
            "SUI_NETWORK": "localnet",
            "ATOMA_PACKAGE_ID": self.info["package"],
            "ATOMA_DB_OBJECT_ID": self.info["db_id"],
            "ATOMA_DB_INITIAL_SHARED_VERSION": str(self.info["db_initial_shared_version"]),
            "USDC_COIN_TYPE": self.info["usdc_type"],
            "SUI_FAUCET_URL": f"{base}/dev/faucet",
            "SUI_RPC_READ_TIMEOUT": "8",
        }


def fresh_ops() -> Any:
    """Forget the container's chain operations (settings and adapter) so the next call reads the environment."""
    from nodeplane.network import chain_impl, chainops
    from nodeplane.settings import settings

    settings.cache_clear()
    chainops.use(None)
    chain_impl.default_ops.cache_clear()
    return chainops


def start_rpc_chain(dynamodb_url: str, root: Callable[[Backend], Root] | None = None) -> RpcChain:
    ledger = new_ledger(ddb_client(dynamodb_url), LEDGER_ADMIN)
    server = SuiGraphQLServer(ledger, root=root(Backend(ledger)) if root else None).start()
    return RpcChain(ledger, server, ledger.info())


@pytest.fixture
def rpc_chain(aws_env: dict[str, Any], dynamodb_local: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[RpcChain]:
    """Every function of this test talks GraphQL to a stand-in; nodeplane's admin wallet is the ledger's admin."""
    chain = start_rpc_chain(dynamodb_local)
    for name, value in chain.environment().items():
        monkeypatch.setenv(name, value)
    chainops = fresh_ops()
    try:
        admin = chainops.ops().wallet("admin")
        chain.ledger.grant_admin(admin.address)
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
