"""Seeds 003 (task subscriptions) and 004 (claimed stacks), line by line where nodeplane used to differ: each
test quotes the line it checks. Operators sign real transactions on the local ledger; a wrapper around its chain
operations records what reached the chain client, or fails like an unreachable chain."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from nodeplane import store
from nodeplane.errors import ChainUnavailable
from nodeplane.network import chain_events, chainops, items
from nodeplane.network.chainops import GasOptions, PureArg, TxOutcome
from nodeplane.network.locks import selection
from tests.support.operators import daemon, operator_with_node

TASK = 1


class Recording:
    """The ledger's chain operations, recording every operator transaction; ``fail`` makes them raise."""

    def __init__(self, inner: chainops.ChainOps) -> None:
        self.inner = inner
        self.calls: list[dict[str, Any]] = []
        self.fail: Exception | None = None

    def operator_calls(
        self,
        operator: str,
        node_small_ids: list[int],
        function: str,
        pure: Sequence[PureArg],
        gas: GasOptions | None = None,
    ) -> TxOutcome:
        self.calls.append({"nodes": node_small_ids, "function": function, "pure": list(pure), "gas": gas})
        if self.fail:
            raise self.fail
        return self.inner.operator_calls(operator, node_small_ids, function, pure, gas=gas)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.fixture
def chain(ledger) -> Iterator[Recording]:
    assert ledger.admin_call("create_task_entry", [0, "llama-70b", 1, None, True]).ok
    chain_events.poll(ledger)
    recording = Recording(ledger)
    chainops.use(recording)  # type: ignore[arg-type]
    yield recording
    chainops.use(None)


def subscribe(body: dict[str, Any], route: str = "task_subscribe") -> Any:
    return daemon(f"daemon_{route}", "POST", f"/daemon/{route}", body)


def subscriptions(**query: Any) -> list[dict[str, Any]]:
    reply = daemon("daemon_subscriptions", "GET", "/daemon/subscriptions", query=query or None)
    assert reply.status == 200, reply.body
    return list(reply.body)


def badge(node: int) -> str:
    item = store.get(items.node_pk(node), "NODE")
    assert item is not None
    return str(item["badge_id"])


# --- seed 003 -------------------------------------------------------------------------------------------------


def test_node_badge_id_selects_the_node_it_names(chain):
    # seed 003: "node_badge_id (string): Object ID of the node badge"
    _, first = operator_with_node()
    second = daemon("daemon_node_register", "POST", "/daemon/nodes/register").body["node_small_id"]
    reply = subscribe({"task_small_id": TASK, "node_badge_id": badge(second), "price_per_compute_unit": 10})
    assert reply.status == 200 and reply.body["tx_digest"], reply.body
    assert chain.calls[-1]["nodes"] == [second]
    assert [s["node_small_id"] for s in subscriptions()] == [second]
    assert first != second


def test_a_badge_the_operator_does_not_hold_is_404(chain):
    # seed 003: "node_badge_id (string): Object ID of the node badge" (another operator's badge names no node of
    # this operator)
    operator_with_node(tenant="op-2")
    theirs = badge(1)
    operator_with_node()
    for body in (
        {"task_small_id": TASK, "node_badge_id": theirs, "price_per_compute_unit": 10},
        {"task_small_id": TASK, "node_badge_id": "0x" + "ef" * 32, "price_per_compute_unit": 10},
    ):
        reply = subscribe(body)
        assert reply.status == 404 and set(reply.body) == {"error"}, reply.body
    assert chain.calls == []


def test_price_per_compute_unit_is_per_compute_unit(chain):
    # seed 003: "price_per_compute_unit (integer): Price per compute unit the node will charge"
    operator_with_node()
    assert subscribe({"task_small_id": TASK, "price_per_compute_unit": 10}).status == 200
    assert chain.calls[-1]["pure"] == [TASK, 10_000_000]  # the chain prices one million units
    assert subscriptions()[0]["price_per_one_million_compute_units"] == 10_000_000
    # seed 003, update: "price_per_compute_unit (integer): New price per compute unit the node will charge"
    assert subscribe({"task_small_id": TASK, "price_per_compute_unit": 15}, "task_update_subscription").status == 200
    assert subscriptions()[0]["price_per_one_million_compute_units"] == 15_000_000


@pytest.mark.parametrize("price", [2**64 // 1_000_000 + 1, 2**64, 0, -1])
def test_a_price_that_overflows_the_chain_is_refused(chain, price):
    # seed 003: "price_per_compute_unit (integer)": times 1,000,000 it must still be a u64, and above zero
    operator_with_node()
    reply = subscribe({"task_small_id": TASK, "price_per_compute_unit": price})
    assert reply.status == 422 and set(reply.body) == {"error"}, reply.body
    assert chain.calls == []


def test_max_num_compute_units_is_kept_shown_and_respected(chain):
    # seed 003: "max_num_compute_units (integer): Maximum compute units the node will process per stack" and
    # "The max_num_compute_units limits the size of stacks the node will accept"
    _, node = operator_with_node()
    body = {"task_small_id": TASK, "price_per_compute_unit": 1, "max_num_compute_units": 100}
    assert subscribe(body).status == 200
    (sub,) = subscriptions()
    assert sub["max_num_compute_units"] == 100
    # a stack is 1,000,000 units: this node does not take one, so no offer is made from it
    row = store.get(items.node_pk(node), items.sub_sk(TASK))
    assert row is not None and not selection.accepts(row, selection.STACK_UNITS)
    # seed 003, update: "max_num_compute_units (integer): New maximum compute units the node will process per stack"
    update = {"task_small_id": TASK, "price_per_compute_unit": 1, "max_num_compute_units": 1_000_000}
    assert subscribe(update, "task_update_subscription").status == 200
    assert subscriptions()[0]["max_num_compute_units"] == 1_000_000
    row = store.get(items.node_pk(node), items.sub_sk(TASK))
    assert row is not None and selection.accepts(row, selection.STACK_UNITS)


@pytest.mark.parametrize("units", [0, 1_000_001, "100"])
def test_max_num_compute_units_is_validated(chain, units):
    # seed 003: "max_num_compute_units (integer)", at most a stack's 1,000,000 units
    operator_with_node()
    reply = subscribe({"task_small_id": TASK, "price_per_compute_unit": 1, "max_num_compute_units": units})
    assert reply.status == 422, reply.body
    assert chain.calls == []


def test_gas_settings_reach_the_chain_client(chain):
    # seed 003: "gas (string): Object ID of the gas object to pay for the transaction", "gas_budget (integer):
    # Maximum gas units allowed for the transaction", "gas_price (integer): Price per gas unit in MIST"
    operator_with_node()
    body = {"task_small_id": TASK, "price_per_compute_unit": 1, "gas_budget": 50_000_000, "gas_price": 1000}
    assert subscribe(body).status == 200
    assert chain.calls[-1]["gas"] == GasOptions(coin=None, budget=50_000_000, price=1000)
    body = {"task_small_id": TASK, "gas": "0x789", "gas_budget": 40_000_000}
    refused = subscribe(body, "task_unsubscribe")
    assert chain.calls[-1]["gas"] == GasOptions(coin="0x789", budget=40_000_000, price=None)
    # the chain client uses it: a coin the operator does not own is the caller's mistake, named
    assert refused.status == 400 and "0x789" in refused.body["error"], refused.body
    assert subscribe({"task_small_id": TASK, "gas_budget": 40_000_000}, "task_unsubscribe").status == 200


@pytest.mark.parametrize(
    "gas",
    [{"gas": "not-an-object"}, {"gas_budget": 0}, {"gas_budget": 10**12}, {"gas_price": 0}, {"gas_price": "10"}],
)
def test_gas_settings_are_validated(chain, gas):
    # seed 003: "gas (string)", "gas_budget (integer)", "gas_price (integer)"
    operator_with_node()
    assert subscribe({"task_small_id": TASK, "price_per_compute_unit": 1, **gas}).status == 422
    assert chain.calls == []


@pytest.mark.parametrize("failure", [ConnectionError("sui rpc unreachable"), ChainUnavailable("sui rpc unreachable")])
@pytest.mark.parametrize(
    "route,text",
    [
        ("task_subscribe", "Failed to submit node task subscription tx"),
        ("task_update_subscription", "Failed to submit node task update subscription"),
        ("task_unsubscribe", "Failed to submit node task unsubscription tx"),
    ],
)
def test_a_failed_submission_is_the_seed_500(chain, caplog, route, text, failure):
    # seed 003: "500 Internal Server Error: Failed to submit the transaction" and the example error response
    # {"error": "Failed to submit node task subscription tx"}
    operator_with_node()
    if route != "task_subscribe":
        assert subscribe({"task_small_id": TASK, "price_per_compute_unit": 1}).status == 200
    chain.fail = failure
    with caplog.at_level(logging.ERROR, logger="nodeplane.api"):
        reply = subscribe({"task_small_id": TASK, "price_per_compute_unit": 2}, route)
    assert reply.status == 500 and reply.body == {"error": text}
    logged = [r for r in caplog.records if getattr(r, "request_id", None)]
    assert logged and "sui rpc unreachable" in logged[-1].getMessage() + str(logged[-1].exc_info)


def test_caller_mistakes_found_before_submitting_stay_4xx(chain):
    # seed 003: "A node must be registered before subscribing to tasks"
    reply = subscribe({"task_small_id": TASK, "price_per_compute_unit": 1})
    assert reply.status == 403  # no operator key yet
    operator_with_node()
    assert subscribe({"task_small_id": 99, "price_per_compute_unit": 1}).status == 404
    assert subscribe({"task_small_id": TASK, "price_per_compute_unit": 1}, "task_update_subscription").status == 409
    assert chain.calls == []


# --- seed 004 -------------------------------------------------------------------------------------------------


def test_claimed_stacks_failure_is_the_seed_500(chain, monkeypatch):
    # seed 004: "500 Internal Server Error: Failed to retrieve claimed stacks from state manager" and
    # {"error": "Failed to get node claimed stacks"}
    from nodeplane.network.settlement import tickets

    _, node = operator_with_node()
    assert daemon("daemon_claimed_stacks", "GET", "/daemon/claimed_stacks").body == []

    def unreachable(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("DynamoDB unreachable")

    monkeypatch.setattr(tickets, "node_tickets", unreachable)
    for function, route, params in (
        ("daemon_claimed_stacks", "/daemon/claimed_stacks", None),
        ("daemon_claimed_stacks_node", "/daemon/claimed_stacks/{node_small_id}", {"node_small_id": str(node)}),
    ):
        reply = daemon(function, "GET", route, params=params)
        assert reply.status == 500 and reply.body == {"error": "Failed to get node claimed stacks"}


@pytest.mark.parametrize("node_id", ["abc", "-1", "1.5", "9" * 30])
def test_claimed_stacks_path_id_is_an_integer(chain, node_id):
    # seed 004: "id (path, integer): Node small ID"
    operator_with_node()
    reply = daemon(
        "daemon_claimed_stacks_node", "GET", "/daemon/claimed_stacks/{node_small_id}", params={"node_small_id": node_id}
    )
    assert reply.status == 400 and set(reply.body) == {"error"}, reply.body
