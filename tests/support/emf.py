"""Read CloudWatch embedded-metric-format documents as CloudWatch would, and fail on any it would reject."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

UNITS = {"Count", "Milliseconds", "Seconds", "None", "Bytes", "Percent"}


@dataclass(frozen=True)
class Datum:
    namespace: str
    name: str
    unit: str
    dimensions: tuple[tuple[str, str], ...]  # one dimension set with its values, sorted
    values: tuple[float, ...]


def parse(line: str) -> list[Datum]:
    """The data points one EMF log line yields: one per metric and dimension set (a rollup is its own series)."""
    doc = json.loads(line)
    meta = doc["_aws"]
    assert isinstance(meta["Timestamp"], int), "Timestamp must be epoch milliseconds"
    data = []
    for directive in meta["CloudWatchMetrics"]:
        assert isinstance(directive["Namespace"], str) and directive["Namespace"]
        assert len(directive["Dimensions"]) >= 1
        for metric in directive["Metrics"]:
            assert metric["Unit"] in UNITS, metric
            raw = doc[metric["Name"]]
            values = tuple(raw) if isinstance(raw, list) else (raw,)
            assert values and len(values) <= 100 and all(isinstance(v, int | float) for v in values), metric
            for dim_set in directive["Dimensions"]:
                assert len(dim_set) <= 30
                dims = tuple(sorted((d, doc[d]) for d in dim_set))
                assert all(isinstance(v, str) and v for _, v in dims), dims
                data.append(Datum(directive["Namespace"], metric["Name"], metric["Unit"], dims, values))
    return data


def is_emf(line: str) -> bool:
    try:
        doc: Any = json.loads(line)
    except ValueError:
        return False
    return isinstance(doc, dict) and "_aws" in doc


def series(lines: list[str]) -> dict[tuple[str, tuple[tuple[str, str], ...]], list[float]]:
    """Every EMF line's data, summed up as (metric name, dimensions) -> values."""
    out: dict[tuple[str, tuple[tuple[str, str], ...]], list[float]] = {}
    for line in lines:
        if is_emf(line):
            for datum in parse(line):
                out.setdefault((datum.name, datum.dimensions), []).extend(datum.values)
    return out
