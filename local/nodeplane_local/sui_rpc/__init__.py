"""A Sui GraphQL stand-in: the local ledger served as a Sui GraphQL endpoint (a development tool, not shipped).

graphql-core executes incoming documents against the published schema in vendor/sui-graphql/, with resolvers
reading and writing the ledger through the chain-access port's in-process adapter. Documents the schema does
not accept are refused as Sui's service refuses them. Modules: ``server`` (HTTP and schema), ``resolvers`` and
``nodes`` (the fields), ``move`` (Move values), ``service`` (its own DynamoDB Local), ``cli`` (the commands).
Nothing is imported here, so `nodeplane-local` does not load graphql-core for its other commands.
"""
