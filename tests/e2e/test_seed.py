"""`nodeplane-local seed` on a fresh runtime: afterwards every sample under events/ succeeds, each invoked from
the seeded state on the runtime's own engines (DynamoDB Local, the strict engine, and its moto); a second seed
is refused. The samples' invocations run in this process, like `nodeplane-local invoke` runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.lambda_events import container, invoke
from tests.support.runtime import LocalRuntime

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("seed")]

ROOT = Path(__file__).resolve().parents[2]


def seed(rt: LocalRuntime) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "nodeplane_local", "seed", "--data-dir", str(rt.data_dir)]
    return subprocess.run(command, capture_output=True, text=True, timeout=600)


def _reset_clients() -> None:
    from nodeplane import aws, clock, queue, security, settings, store
    from nodeplane.network import chain_impl, chainops

    settings.settings.cache_clear()
    aws.reset()
    store.dynamodb.cache_clear()
    queue.sqs.cache_clear()
    security.kms.cache_clear()
    clock.reset()
    chainops.use(None)  # cached object versions are stale after a restore
    chain_impl.default_ops.cache_clear()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    with LocalRuntime(data_dir=tmp_path_factory.mktemp("seeded")) as runtime:
        out = seed(runtime)
        assert out.returncode == 0, out.stderr
        assert "Every sample under events/ now succeeds" in out.stderr
        yield runtime


@pytest.fixture
def on_engines(seeded: LocalRuntime, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """This process pointed at the runtime's engines, with the environment its functions get."""
    info = seeded.info()
    for key, value in info["env"].items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", info["moto_endpoint"])
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", info["dynamodb_endpoint"])
    monkeypatch.setenv("AWS_DEFAULT_REGION", info["region"])
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    _reset_clients()
    import world

    yield world
    _reset_clients()
    sys.modules.pop("world", None)


def test_every_sample_succeeds_after_seed(seeded: LocalRuntime, on_engines: Any) -> None:
    base = on_engines.Snapshot()
    statuses: dict[str, int] = {}
    for path in sorted((ROOT / "events").glob("*/*.json")):
        name, event = path.parent.name, json.loads(path.read_text())
        base.restore()
        _reset_clients()
        if "requestContext" in event:
            statuses[name] = invoke(name, event).status
            continue
        with container(name) as module:
            result = module.lambda_handler(event, None)
        failures = result.get("batchItemFailures") if isinstance(result, dict) else None
        statuses[name] = 500 if failures else 200  # an SQS batch answers the messages it could not handle
    assert len(statuses) == len(list((ROOT / "functions").glob("*/app.py")))
    assert {n: s for n, s in statuses.items() if not 200 <= s < 300} == {}


def test_a_second_seed_is_refused(seeded: LocalRuntime) -> None:
    again = seed(seeded)
    assert again.returncode == 1 and "not fresh" in again.stderr and "Traceback" not in again.stderr
