"""A Sui GraphQL stand-in: the local ledger served as a Sui GraphQL endpoint (a development tool, not shipped).

graphql-core executes incoming documents against the published schema in vendor/sui-graphql/, with resolvers
reading and writing the ledger through the chain-access port's in-process adapter. Documents the schema does
not accept are refused as Sui's service refuses them.
"""

from __future__ import annotations

from nodeplane_local.sui_rpc.server import SUI_RPC_VERSION, SuiGraphQLServer, sui_schema

__all__ = ["SUI_RPC_VERSION", "SuiGraphQLServer", "sui_schema"]
