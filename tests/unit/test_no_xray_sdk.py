"""Tracing costs no import: template.yaml's TracingEnabled turns on Lambda's active tracing, which the service
records without an SDK; the X-Ray SDK (which Powertools' Tracer imports, bench/bench_logging.py) stays out of
every function."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]

_PROBE = """
import importlib.util, json, sys
for i, path in enumerate(sys.argv[1:]):
    spec = importlib.util.spec_from_file_location(f"fn{i}", path)
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("aws_xray_sdk", "wrapt"))))
"""


def test_no_function_imports_the_xray_sdk() -> None:
    handlers = sorted(str(p) for p in (ROOT / "functions").glob("*/app.py"))
    assert len(handlers) >= 47
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT / "layers" / "nodeplane"), "AWS_DEFAULT_REGION": "us-east-1"}
    out = subprocess.run([sys.executable, "-c", _PROBE, *handlers], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout) == []
