"""`nodeplane-local seed` on a fresh runtime: afterwards every sample under events/ succeeds, each invoked from
the seeded state on the runtime's own engines (DynamoDB Local, the strict engine, and its moto); a second seed
is refused. The samples run in a process of their own (seed_samples.py), like `nodeplane-local invoke` runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.runtime import LocalRuntime

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("seed")]

ROOT = Path(__file__).resolve().parents[2]


def seed(rt: LocalRuntime) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "nodeplane_local", "seed", "--data-dir", str(rt.data_dir)]
    return subprocess.run(command, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    with LocalRuntime(data_dir=tmp_path_factory.mktemp("seeded")) as runtime:
        out = seed(runtime)
        assert out.returncode == 0, out.stderr
        assert "Every sample under events/ now succeeds" in out.stderr
        yield runtime


def test_every_sample_succeeds_after_seed(seeded: LocalRuntime) -> None:
    info = seeded.info()
    env = os.environ | info["env"]
    env |= {"AWS_ENDPOINT_URL": info["moto_endpoint"], "AWS_ENDPOINT_URL_DYNAMODB": info["dynamodb_endpoint"]}
    out = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "e2e" / "seed_samples.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert out.returncode == 0, out.stderr[-4000:]
    statuses = json.loads(out.stdout.strip().splitlines()[-1])
    assert len(statuses) == len(list((ROOT / "functions").glob("*/app.py")))
    assert {n: s for n, s in statuses.items() if not 200 <= s < 300} == {}


def test_a_second_seed_is_refused(seeded: LocalRuntime) -> None:
    again = seed(seeded)
    assert again.returncode == 1 and "not fresh" in again.stderr and "Traceback" not in again.stderr
