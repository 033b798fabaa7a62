"""Every sample HTTP event under events/ succeeds on `nodeplane-local seed`'s state (bench/world.py builds it),
each from that same state, with nothing prepared for one sample alone.

The cold-start bench measures the handlers on exactly these events and this state; a sample that drifted from
its handler (a renamed field, a new rule) would otherwise be measured on an error path.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.support.lambda_events import invoke

ROOT = Path(__file__).parents[2]


@pytest.fixture
def world(moto_env, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    monkeypatch.setenv("LEDGER_CROSS_VALIDATION_PERMILLE", "1000")  # world.build sets it; undone after the test
    from nodeplane.network import chain_impl, chainops

    chainops.use(None)
    chain_impl.default_ops.cache_clear()
    import world as bench_world

    bench_world.build()
    yield bench_world
    chainops.use(None)
    chain_impl.default_ops.cache_clear()
    sys.modules.pop("world", None)


def test_every_sample_event_succeeds_on_the_seeded_world(world) -> None:
    base = world.Snapshot()
    answers = {}
    for path in sorted((ROOT / "events").glob("*/request.json")):
        name = path.parent.name
        world.prepare(name, base)
        answers[name] = invoke(name, json.loads(path.read_text())).status
    assert len(answers) == 40
    assert {n: s for n, s in answers.items() if not 200 <= s < 300} == {}
