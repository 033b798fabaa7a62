"""Every GraphQL document nodeplane sends to a Sui GraphQL RPC, by name.

The transport sends only documents from :data:`DOCUMENTS`, and tests/unit/chain/test_graphql_documents.py
validates each of them against the vendored schema (vendor/sui-graphql/schema.graphql), so a document that the
published schema does not accept cannot ship.
"""

from __future__ import annotations

from typing import Final

PAGE_SIZE: Final = 50  # Sui's default maximum page size for connections

_OWNER: Final = """
fragment OwnerFields on Owner {
  __typename
  ... on AddressOwner { address { address } }
  ... on ObjectOwner { address { address } }
  ... on Shared { initialSharedVersion }
  ... on ConsensusAddressOwner { address { address } }
}
"""

_EVENT: Final = """
fragment EventFields on Event {
  sequenceNumber
  timestamp
  sender { address }
  transactionModule { name package { address } }
  contents { type { repr layout } json }
}
"""

_CHANGES: Final = """
fragment ChangeFields on ObjectChangeConnection {
  pageInfo { hasNextPage endCursor }
  nodes {
    address
    idCreated
    idDeleted
    outputState {
      version
      digest
      owner { ...OwnerFields }
      asMoveObject { contents { type { repr } json } }
    }
  }
}
"""

_EVENTS: Final = """
fragment EventPageFields on EventConnection {
  pageInfo { hasNextPage endCursor }
  nodes { ...EventFields }
}
"""

_EFFECTS: Final = (
    """
fragment EffectsFields on TransactionEffects {
  digest
  status
  epoch { epochId }
  executionError { message abortCode identifier module { name } function { name } }
  gasEffects { gasSummary { computationCost storageCost storageRebate } }
  objectChanges(first: 50) { ...ChangeFields }
  events(first: 50) { ...EventPageFields }
}
"""
    + _CHANGES
    + _EVENTS
    + _EVENT
    + _OWNER
)

OWNED_OBJECTS: Final = (
    """
query OwnedObjects($owner: SuiAddress!, $type: String, $first: Int, $after: String) {
  address(address: $owner) {
    objects(first: $first, after: $after, filter: { type: $type }) {
      pageInfo { hasNextPage endCursor }
      nodes {
        address
        version
        digest
        owner { ...OwnerFields }
        contents { type { repr } json }
      }
    }
  }
}
"""
    + _OWNER
)

GET_OBJECTS: Final = (
    """
query GetObjects($keys: [ObjectKey!]!) {
  multiGetObjects(keys: $keys) {
    address
    version
    digest
    owner { ...OwnerFields }
    asMoveObject { contents { type { repr } json } }
  }
}
"""
    + _OWNER
)

EPOCH: Final = """
query Epoch {
  epoch { epochId referenceGasPrice }
}
"""

SIMULATE: Final = (
    """
query Simulate($transaction: JSON!) {
  simulateTransaction(transaction: $transaction) {
    error
    effects { ...EffectsFields }
  }
}
"""
    + _EFFECTS
)

EXECUTE: Final = (
    """
mutation Execute($transactionDataBcs: Base64!, $signatures: [Base64!]!) {
  executeTransaction(transactionDataBcs: $transactionDataBcs, signatures: $signatures) {
    errors
    effects { ...EffectsFields }
  }
}
"""
    + _EFFECTS
)

TRANSACTION: Final = (
    """
query Transaction($digest: String!) {
  transaction(digest: $digest) {
    digest
    effects { ...EffectsFields }
  }
}
"""
    + _EFFECTS
)

# The rest of a transaction's object changes and events, when it has more than one page of either.
EFFECTS_PAGE: Final = (
    """
query EffectsPage(
  $digest: String!, $changes: Boolean!, $changesAfter: String, $events: Boolean!, $eventsAfter: String
) {
  transactionEffects(digest: $digest) {
    objectChanges(first: 50, after: $changesAfter) @include(if: $changes) { ...ChangeFields }
    events(first: 50, after: $eventsAfter) @include(if: $events) { ...EventPageFields }
  }
}
"""
    + _CHANGES
    + _EVENTS
    + _EVENT
    + _OWNER
)

EVENTS: Final = (
    """
query Events($filter: EventFilter, $first: Int, $after: String) {
  events(first: $first, after: $after, filter: $filter) {
    pageInfo { hasNextPage endCursor }
    edges {
      cursor
      node {
        ...EventFields
        transaction { digest }
      }
    }
  }
}
"""
    + _EVENT
)

DOCUMENTS: Final[dict[str, str]] = {
    "OwnedObjects": OWNED_OBJECTS,
    "GetObjects": GET_OBJECTS,
    "Epoch": EPOCH,
    "Simulate": SIMULATE,
    "Execute": EXECUTE,
    "Transaction": TRANSACTION,
    "EffectsPage": EFFECTS_PAGE,
    "Events": EVENTS,
}
