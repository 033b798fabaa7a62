"""Adapter 2 of the chain-access port: a Sui GraphQL RPC (``SuiRpcUrl``), over plain HTTP."""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Mapping, Sequence
from typing import Any, Final, NoReturn

from nodeplane.chain.access import (
    ChainResponseError,
    ChainUnreachable,
    EpochInfo,
    EventFilter,
    EventPage,
    ExecutedTransaction,
    ObjectInfo,
    OwnedObject,
    Simulation,
    TransactionRejected,
)
from nodeplane.chain.graphql import decode
from nodeplane.chain.graphql.documents import PAGE_SIZE
from nodeplane.chain.graphql.transport import GraphQLErrors, GraphQLTransport
from nodeplane.chain.signatures import normalize_address, transaction_digest

# Execution errors after which the outcome is unknown (the transaction may still be finalised).
_UNDECIDED: Final = re.compile(r"DeadlineExceeded|Unavailable|timed out|timeout|Cancelled", re.IGNORECASE)


class GraphQLChainAccess:
    """The chain-access port over a Sui GraphQL endpoint (``https://graphql.mainnet.sui.io/graphql`` or a
    self-hosted one, or ``nodeplane-local sui-rpc``)."""

    def __init__(
        self,
        url: str,
        *,
        connect_timeout: float = 3.0,
        read_timeout: float = 30.0,
        index_wait_seconds: float = 5.0,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.transport = GraphQLTransport(
            url, connect_timeout=connect_timeout, read_timeout=read_timeout, headers=headers
        )
        self._index_wait = index_wait_seconds

    # ------------------------------------------------------------ reads

    def owned_objects(self, owner: str, type_filter: str) -> list[OwnedObject]:
        out: list[OwnedObject] = []
        after: str | None = None
        while True:
            variables = {"owner": normalize_address(owner), "type": type_filter or None, "first": PAGE_SIZE}
            data = self.transport.request("OwnedObjects", variables | {"after": after})
            page = ((data.get("address") or {}).get("objects")) or {}
            out.extend(decode.owned_object(node) for node in page.get("nodes") or [])
            info = page.get("pageInfo") or {}
            if not info.get("hasNextPage") or not info.get("endCursor"):
                return out
            after = info["endCursor"]

    def get_objects(self, object_ids: Sequence[str]) -> list[ObjectInfo | None]:
        out: list[ObjectInfo | None] = []
        for start in range(0, len(object_ids), PAGE_SIZE):
            keys = [{"address": normalize_address(oid)} for oid in object_ids[start : start + PAGE_SIZE]]
            nodes = self.transport.request("GetObjects", {"keys": keys}).get("multiGetObjects") or []
            if len(nodes) != len(keys):
                raise ChainResponseError(f"multiGetObjects answered {len(nodes)} objects for {len(keys)} keys")
            out.extend(decode.object_info(node) for node in nodes)
        return out

    def epoch(self) -> EpochInfo:
        epoch = self.transport.request("Epoch", {}).get("epoch")
        if not epoch or epoch.get("referenceGasPrice") is None:
            raise ChainResponseError("the Sui RPC knows no current epoch")
        return EpochInfo(int(epoch["epochId"]), int(epoch["referenceGasPrice"]))

    def transaction(self, digest: str) -> ExecutedTransaction | None:
        tx = self.transport.request("Transaction", {"digest": digest}).get("transaction")
        if not tx or not tx.get("effects"):
            return None
        return self._executed(tx["effects"], digest)

    def events(self, event_filter: EventFilter, after: str | None = None, limit: int = 50) -> EventPage:
        gql_filter = {"type": event_filter.type} if event_filter.type else None
        if event_filter.module:
            gql_filter = {"module": event_filter.module}
        variables = {"filter": gql_filter, "first": max(1, min(limit, PAGE_SIZE)), "after": after}
        page = self.transport.request("Events", variables).get("events") or {}
        edges = page.get("edges") or []
        events = tuple(
            decode.event(edge["node"], str((edge["node"].get("transaction") or {}).get("digest", ""))) for edge in edges
        )
        cursors = tuple(str(edge["cursor"]) for edge in edges)
        info = page.get("pageInfo") or {}
        end = info.get("endCursor") or (cursors[-1] if cursors else after)
        return EventPage(events, end, bool(info.get("hasNextPage")), cursors)

    # ------------------------------------------------------------ transactions

    def simulate(self, tx_bytes: bytes) -> Simulation:
        digest = transaction_digest(tx_bytes)
        variables = {"transaction": {"bcs": {"value": base64.b64encode(tx_bytes).decode()}}}
        result = self._submit("Simulate", variables, digest).get("simulateTransaction") or {}
        effects = result.get("effects")
        if not effects:
            self._refused(str(result.get("error") or "simulation failed"), digest)
        executed = self._executed(effects, digest, check_digest=False)
        return Simulation(executed.status, executed.gas, executed.abort, executed.events)

    def execute(self, tx_bytes: bytes, signatures: Sequence[str]) -> ExecutedTransaction:
        digest = transaction_digest(tx_bytes)
        variables = {"transactionDataBcs": base64.b64encode(tx_bytes).decode(), "signatures": list(signatures)}
        result = self._submit("Execute", variables, digest).get("executeTransaction") or {}
        effects = result.get("effects")
        if not effects:
            self._refused("; ".join(result.get("errors") or ["the transaction was not executed"]), digest)
        return self._executed(effects, digest)

    def _submit(self, name: str, variables: dict[str, Any], digest: str) -> dict[str, Any]:
        try:
            return self.transport.request(name, variables, digest=digest)
        except GraphQLErrors as exc:
            if "BAD_USER_INPUT" in exc.codes:  # bytes or signatures the server could not even parse
                raise TransactionRejected(str(exc), kind=decode.rejection_kind(str(exc)), digest=digest) from exc
            raise

    @staticmethod
    def _refused(message: str, digest: str) -> NoReturn:
        if _UNDECIDED.search(message):
            raise ChainUnreachable(f"the network did not decide the transaction: {message}", digest=digest)
        raise TransactionRejected(message, kind=decode.rejection_kind(message), digest=digest)

    def _executed(self, effects: dict[str, Any], digest: str, *, check_digest: bool = True) -> ExecutedTransaction:
        if check_digest and effects.get("digest") != digest:
            raise ChainResponseError(f"effects of {effects.get('digest')} returned for {digest}")
        changes_page = effects.get("objectChanges") or {}
        events_page = effects.get("events") or {}
        changes = list(changes_page.get("nodes") or [])
        events = list(events_page.get("nodes") or [])
        more_changes = _next(changes_page)
        more_events = _next(events_page)
        deadline = time.monotonic() + self._index_wait
        while more_changes or more_events:
            data = self.transport.request(
                "EffectsPage",
                {
                    "digest": digest,
                    "changes": bool(more_changes),
                    "changesAfter": more_changes,
                    "events": bool(more_events),
                    "eventsAfter": more_events,
                },
                digest=digest,
            )
            page = data.get("transactionEffects")
            if page is None:  # executed but not indexed yet
                if time.monotonic() > deadline:
                    raise ChainUnreachable(f"the effects of {digest} are not indexed yet", digest=digest)
                time.sleep(0.2)
                continue
            if more_changes:
                changes.extend(page["objectChanges"].get("nodes") or [])
                more_changes = _next(page["objectChanges"])
            if more_events:
                events.extend(page["events"].get("nodes") or [])
                more_events = _next(page["events"])
        return decode.executed(effects, changes, events)


def _next(page: dict[str, Any]) -> str | None:
    info = page.get("pageInfo") or {}
    return str(info["endCursor"]) if info.get("hasNextPage") and info.get("endCursor") else None
