"""The event poller's cursor belongs to one network: a cursor of another is never handed to a chain."""

from __future__ import annotations

from typing import Any

from nodeplane.chain.access import EventFilter, EventPage
from nodeplane.network.chain_impl import NetworkParams, PortOps


class Events:
    """A chain that only pages events, remembering the cursor each page was asked after."""

    def __init__(self) -> None:
        self.asked: list[str | None] = []

    def events(self, event_filter: EventFilter, after: str | None = None, limit: int = 50) -> EventPage:
        assert event_filter.module == "0x1::db"
        self.asked.append(after)
        return EventPage((), "next", False, ())

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the poller only reads events, not {name}")


def ops(network: str) -> tuple[PortOps, Events]:
    chain = Events()
    params = NetworkParams(network, "0x1", "0x2", "0x2::coin::Coin<0x1::usdc::USDC>")
    return PortOps(chain, params), chain


def test_a_cursor_names_its_network_and_a_foreign_one_starts_over() -> None:
    testnet, chain = ops("testnet")
    assert testnet.events_since(None, 10) == ([], "testnet|next")
    testnet.events_since("testnet|next", 10)
    testnet.events_since("00000000000000000042", 10)  # the local ledger's
    testnet.events_since("mainnet|abc", 10)
    assert chain.asked == [None, "next", None, None]

    local, chain = ops("local")  # the ledger's cursors stay as they always were
    assert local.events_since("00000000000000000042", 10) == ([], "next")
    local.events_since("testnet|next", 10)
    assert chain.asked == ["00000000000000000042", None]
