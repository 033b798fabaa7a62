"""Every sample HTTP event under events/ succeeds on `nodeplane-local seed`'s state (bench/world.py builds it),
each from that same state, with nothing prepared for one sample alone.

The cold-start bench measures the handlers on exactly these events and this state; a sample that drifted from
its handler (a renamed field, a new rule) would otherwise be measured on an error path.
"""

from __future__ import annotations

import json
from pathlib import Path

from nodeplane_local.harness.lambda_events import invoke

ROOT = Path(__file__).parents[2]


def test_every_sample_event_succeeds_on_the_seeded_world(world) -> None:
    base = world.Snapshot()
    answers = {}
    for path in sorted((ROOT / "events").glob("*/request.json")):
        name = path.parent.name
        world.prepare(name, base)
        answers[name] = invoke(name, json.loads(path.read_text())).status
    assert len(answers) == 42
    assert {n: s for n, s in answers.items() if not 200 <= s < 300} == {}
