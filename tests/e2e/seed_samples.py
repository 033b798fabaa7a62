"""Invoke every sample under events/ on the engines the environment names, each from the state found there (put
back before every sample), as `nodeplane-local invoke` would; print ``{function: status}`` as JSON, last.

Run by tests/e2e/test_seed.py in a process of its own, with the seeded runtime's environment: warm containers
and clients made for that runtime's engines never reach the test session."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import world  # noqa: E402  (bench/world.py: the snapshot of every table)

from nodeplane_local.harness.lambda_events import container, invoke  # noqa: E402


def main() -> None:
    base = world.Snapshot()
    statuses: dict[str, int] = {}
    for path in sorted((ROOT / "events").glob("*/*.json")):
        name, event = path.parent.name, json.loads(path.read_text())
        world.prepare(name, base)
        if "requestContext" in event:
            statuses[name] = invoke(name, event).status
            continue
        with container(name) as module:
            result = module.lambda_handler(event, None)
        failures = result.get("batchItemFailures") if isinstance(result, dict) else None
        statuses[name] = 500 if failures else 200  # an SQS batch answers the messages it could not handle
    print(json.dumps(statuses))  # the last line: handlers log to stdout too


if __name__ == "__main__":
    main()
