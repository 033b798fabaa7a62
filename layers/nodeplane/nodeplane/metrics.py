"""nodeplane's own CloudWatch metrics, in the embedded metric format (EMF): no API call, one write per invocation.

Code anywhere in the layer adds to the current invocation's metrics; the entry point (nodeplane.api's handler, the
worker and schedule wrappers) calls :func:`flush` once when the invocation ends. The flush writes one JSON line to
stdout, which Lambda puts in the function's log, where CloudWatch extracts the metrics (JSON log format included:
the runtime leaves stdout lines as they are). A line holds every metric of the invocation; only metrics whose
dimensions take two values in one invocation (two settlement outcomes in one SQS batch) need a second line.

    metrics.add("LocksRefused", dimensions={"Reason": "NOT_FOUND"})
    metrics.add("Latency", 12.5, "Milliseconds", dimensions={"Api": "v1", "Route": route}, rollups=[("Api",)])

Powertools' Metrics writes one set of dimensions per document, so per-route and per-reason metrics of one
request would take several writes; bench/bench_logging.py measured both (docs/operations.md lists the metrics).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from nodeplane.settings import settings

Unit = Literal["Count", "Milliseconds", "Seconds"]
MAX_VALUES = 100  # EMF's limit of values for one metric in one document
MAX_DOCUMENTS = 100  # bounds the buffer of code that adds metrics without an entry point to flush them (tests)


@dataclass
class _Document:
    dimensions: dict[str, str] = field(default_factory=dict)
    # (dimension sets) -> {metric name: unit}
    directives: dict[tuple[tuple[str, ...], ...], dict[str, Unit]] = field(default_factory=dict)
    values: dict[str, list[float]] = field(default_factory=dict)

    def accepts(self, name: str, unit: Unit, sets: tuple[tuple[str, ...], ...], dimensions: dict[str, str]) -> bool:
        if any(self.dimensions.get(k, v) != v for k, v in dimensions.items()):
            return False
        for other_sets, metrics in self.directives.items():
            if name in metrics and (other_sets != sets or metrics[name] != unit):
                return False
        return len(self.values.get(name, ())) < MAX_VALUES

    def add(self, name: str, value: float, unit: Unit, sets: tuple[tuple[str, ...], ...], dims: dict[str, str]) -> None:
        self.dimensions.update(dims)
        self.directives.setdefault(sets, {})[name] = unit
        self.values.setdefault(name, []).append(value)

    def emf(self, namespace: str, timestamp_ms: int) -> dict[str, Any]:
        directives = [
            {
                "Namespace": namespace,
                "Dimensions": [list(s) for s in sets],
                "Metrics": [{"Name": name, "Unit": unit} for name, unit in metrics.items()],
            }
            for sets, metrics in self.directives.items()
        ]
        values = {name: v[0] if len(v) == 1 else v for name, v in self.values.items()}
        return {"_aws": {"Timestamp": timestamp_ms, "CloudWatchMetrics": directives}, **self.dimensions, **values}


class _Invocation(threading.local):
    """Each thread its own buffer: the local runtime runs several containers in one process."""

    def __init__(self) -> None:
        self.documents: list[_Document] = []


_current = _Invocation()


def _write(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


# where flushed documents go: stdout in Lambda; the local runtime and tests replace it
sink: Callable[[str], None] = _write


def add(
    name: str,
    value: float = 1,
    unit: Unit = "Count",
    *,
    dimensions: dict[str, str] | None = None,
    rollups: Iterable[Sequence[str]] = (),
) -> None:
    """Add one value of metric ``name`` to the invocation; ``rollups`` are coarser dimension sets it also goes under."""
    dims = {k: str(v) for k, v in (dimensions or {}).items()}
    sets = (tuple(dims), *(tuple(r) for r in rollups))
    for document in _current.documents:
        if document.accepts(name, unit, sets, dims):
            document.add(name, value, unit, sets, dims)
            return
    if len(_current.documents) >= MAX_DOCUMENTS:
        return
    document = _Document()
    document.add(name, value, unit, sets, dims)
    _current.documents.append(document)


def flush() -> list[dict[str, Any]]:
    """Write the invocation's metrics (one line per document) and start afresh; returns what was written."""
    documents, _current.documents = _current.documents, []
    stamp = int(time.time() * 1000)
    written = [d.emf(settings().metrics_namespace, stamp) for d in documents]
    for doc in written:
        sink(json.dumps(doc, separators=(",", ":")))
    return written


def discard() -> None:
    """Forget the metrics added so far (a test, or an invocation that is retried as a whole)."""
    _current.documents = []
