"""nodeplane's chain operations against a Sui GraphQL stand-in (a local ledger behind the published schema),
configured exactly as a deployment on a real network is: SUI_RPC_URL and the Atoma parameters.

    chain = start_rpc_chain(ledger)       # a ledger after its genesis
    use_rpc_chain(chain)                  # every function talks GraphQL to it; nodeplane's admin is the ledger's
    ...
    chain.server.stop()
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nodeplane.chain.ledger import LocalLedger
from nodeplane_local.sui_rpc.resolvers import Backend, Root
from nodeplane_local.sui_rpc.server import SuiGraphQLServer


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


def start_rpc_chain(ledger: LocalLedger, root: Callable[[Backend], Root] | None = None) -> RpcChain:
    """A stand-in serving ``ledger`` (after its genesis); ``root`` makes a misbehaving one."""
    server = SuiGraphQLServer(ledger, root=root(Backend(ledger)) if root else None).start()
    return RpcChain(ledger, server, ledger.info())


def use_rpc_chain(chain: RpcChain, setenv: Callable[[str, str], None] = os.environ.__setitem__) -> None:
    """Point every function at ``chain`` (through ``setenv``: pytest's ``monkeypatch.setenv`` undoes it) and make
    nodeplane's admin wallet the ledger's admin."""
    for name, value in chain.environment().items():
        setenv(name, value)
    chain.ledger.grant_admin(fresh_ops().ops().wallet("admin").address)
