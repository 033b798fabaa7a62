"""`make bench` prints results only: bench/run.py fails a bench that lets handlers' log or metric records through."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

RUN = Path(__file__).resolve().parents[2] / "bench" / "run.py"


def load_run() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_run", RUN)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_records_are_told_from_results() -> None:
    run = load_run()
    assert run.is_record('{"_aws":{"Timestamp":1,"CloudWatchMetrics":[]},"Requests":1}\n')
    assert run.is_record('  {"level": "INFO", "message": "request"}')
    assert not run.is_record("list page           2        101            2          101  yes\n")
    assert not run.is_record("{not json at all")
    assert not run.is_record("== bench_locks.py --large 10000")


def test_a_bench_that_leaks_a_record_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = load_run()
    (tmp_path / "bench_leaky.py").write_text('print("calls 3")\nprint(\'{"_aws": {}}\')\n')
    (tmp_path / "bench_clean.py").write_text('print("calls 3")\n')
    monkeypatch.setattr(run, "HERE", tmp_path)
    assert run.run("bench_clean.py", []) == (0, 0)
    assert run.run("bench_leaky.py", []) == (0, 1)
    monkeypatch.setattr(run.sys, "argv", ["run.py"])
    assert run.main() == 1
