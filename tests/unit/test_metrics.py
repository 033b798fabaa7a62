"""nodeplane.metrics writes the invocation's metrics as EMF that CloudWatch accepts, once per flush."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from nodeplane import metrics
from tests.support import emf


@pytest.fixture
def lines(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    out: list[str] = []
    monkeypatch.setattr(metrics, "sink", out.append)
    metrics.discard()
    yield out
    metrics.discard()


def test_one_request_is_one_line_with_route_and_api_series(lines: list[str]) -> None:
    dims = {"Api": "v1", "Route": "GET /v1/nodes"}
    metrics.add("Requests", dimensions=dims, rollups=[("Api",)])
    metrics.add("ServerErrors", 0, dimensions=dims, rollups=[("Api",)])
    metrics.add("Latency", 12.5, "Milliseconds", dimensions=dims, rollups=[("Api",)])
    metrics.add("LocksRefused", dimensions={"Reason": "NOT_FOUND"})
    metrics.flush()
    assert len(lines) == 1
    data = {(d.name, d.dimensions): d for d in emf.parse(lines[0])}
    route = (("Api", "v1"), ("Route", "GET /v1/nodes"))
    assert data[("Requests", route)].values == (1,) and data[("Requests", route)].unit == "Count"
    assert data[("Requests", (("Api", "v1"),))].values == (1,)
    assert data[("Latency", route)].unit == "Milliseconds" and data[("Latency", route)].values == (12.5,)
    assert data[("LocksRefused", (("Reason", "NOT_FOUND"),))].values == (1,)
    assert ("LocksRefused", route) not in data  # a metric goes only under its own dimension sets
    assert {d.namespace for d in data.values()} == {"nodeplane"}


def test_two_values_of_one_dimension_take_two_lines_and_repeats_become_arrays(lines: list[str]) -> None:
    metrics.add("Settlements", dimensions={"Outcome": "Complete"})
    metrics.add("Settlements", dimensions={"Outcome": "Failed"})
    metrics.add("Settlements", dimensions={"Outcome": "Complete"})
    metrics.add("LocksExpired", 3)
    metrics.flush()
    assert len(lines) == 2
    got = emf.series(lines)
    assert got[("Settlements", (("Outcome", "Complete"),))] == [1, 1]
    assert got[("Settlements", (("Outcome", "Failed"),))] == [1]
    assert got[("LocksExpired", ())] == [3]


def test_flush_empties_the_invocation_and_nothing_is_written_without_metrics(lines: list[str]) -> None:
    metrics.add("LocksGranted")
    metrics.flush()
    metrics.flush()
    assert len(lines) == 1


def test_the_namespace_is_the_stack_setting(lines: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from nodeplane.settings import settings

    monkeypatch.setenv("METRICS_NAMESPACE", "nodeplane-staging")
    settings.cache_clear()
    try:
        metrics.add("LocksGranted")
        metrics.flush()
    finally:
        settings.cache_clear()
    assert emf.parse(lines[0])[0].namespace == "nodeplane-staging"


def test_threads_keep_their_own_invocation(lines: list[str]) -> None:
    metrics.add("LocksGranted")
    other = threading.Thread(target=lambda: (metrics.add("LocksExpired"), metrics.flush()))
    other.start()
    other.join()
    metrics.flush()
    assert [sorted(k[0] for k in emf.series([line])) for line in lines] == [["LocksExpired"], ["LocksGranted"]]
