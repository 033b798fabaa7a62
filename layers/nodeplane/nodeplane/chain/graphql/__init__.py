"""The chain-access port over Sui's GraphQL RPC: documents, HTTP transport, response decoding, the adapter."""

from __future__ import annotations

from nodeplane.chain.graphql.adapter import GraphQLChainAccess

__all__ = ["GraphQLChainAccess"]
