"""Cold start of the logging and metrics options, side by side in one run, as ratios against boto3-only modules.

Each case is a small handler module, imported in a fresh interpreter and invoked once (it writes one request
record and/or one set of request metrics), like a Lambda cold start. Before the clock starts, the probe does what
Lambda's Python runtime does before it loads any handler: it has imported ``json`` and ``logging`` and put a JSON
formatter on the root logger (the runtime's own when the function's LogFormat is JSON). The options:

- (a) stdlib ``logging`` records, formatted by Lambda's JSON log format (``extra`` fields become JSON keys);
- (b) Powertools ``Logger`` (its own JSON formatter, ``inject_lambda_context`` for the request id and cold start);
- (c) Powertools ``Metrics`` (one EMF document per flush) against one EMF line written with ``json.dumps``;
- for tracing: Powertools ``Tracer``, which imports the X-Ray SDK (Lambda's active tracing needs no SDK at all).

Two contexts: over a module importing only boto3 (the rule's baseline), and over a module that also imports the
Powertools HTTP resolver, as every nodeplane HTTP handler does (Powertools' package imports its Logger and Metrics
modules already, so there only the objects and their first use cost anything). Every round runs each case once, in
an order that alternates, and "paired" is the median over rounds of the case's time over its baseline's in the same
round (this machine's speed drifts in phases lasting seconds).
Usage: python bench/bench_logging.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from common import median

_PROBE = r'''
import json, logging, sys, time
from datetime import datetime, timezone


class LambdaJsonFormatter(logging.Formatter):
    """The shape of Lambda's JSON log format: fixed keys, then every extra attribute of the record."""

    _reserved = set(vars(logging.makeLogRecord({}))) | {"message", "aws_request_id"}

    def format(self, record):
        out = {
            "timestamp": datetime.fromtimestamp(record.created, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "level": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
            "requestId": getattr(record, "aws_request_id", ""),
        }
        out.update((k, v) for k, v in vars(record).items() if k not in self._reserved and k not in out)
        return json.dumps(out, default=str)


class RequestId(logging.Filter):
    def filter(self, record):
        record.aws_request_id = "3f0c4d52-0000-4000-8000-000000000000"
        return True


handler = logging.StreamHandler(sys.stdout)
handler.setFormatter(LambdaJsonFormatter())
handler.addFilter(RequestId())
logging.getLogger().addHandler(handler)
logging.getLogger().setLevel(logging.INFO)


class Context:
    function_name = "bench"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    aws_request_id = "3f0c4d52-0000-4000-8000-000000000000"


start = time.perf_counter()
cpu_start = time.process_time()
import importlib.util
spec = importlib.util.spec_from_file_location("case", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
module.lambda_handler({"rawPath": "/v1/nodes"}, Context())
total = (time.perf_counter() - start) * 1000
cpu = (time.process_time() - cpu_start) * 1000
sys.stdout.flush()
print(json.dumps({"total_ms": total, "cpu_ms": cpu}))
'''

_FIELDS = (
    '{"apigwRequestId": "Jx1abcDEFghi=", "route": "GET /v1/nodes", "tenant": "alice", "status": 200, '
    '"latencyMs": 3.2, "coldStart": True}'
)

# the same EMF document both ways: request metrics with dimensions [Api, Route] and [Api]
_EMF_LINE = """
import json, time
def emit():
    doc = {
        "_aws": {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": [{
                "Namespace": "nodeplane",
                "Dimensions": [["Api", "Route"], ["Api"]],
                "Metrics": [
                    {"Name": "Requests", "Unit": "Count"}, {"Name": "ClientErrors", "Unit": "Count"},
                    {"Name": "ServerErrors", "Unit": "Count"}, {"Name": "Latency", "Unit": "Milliseconds"},
                ],
            }],
        },
        "Api": "v1", "Route": "GET /v1/nodes", "Requests": 1, "ClientErrors": 0, "ServerErrors": 0, "Latency": 3.2,
    }
    print(json.dumps(doc, separators=(",", ":")))
"""

_POWERTOOLS_METRICS = """
from aws_lambda_powertools.metrics import Metrics, MetricUnit
metrics = Metrics(namespace="nodeplane")
def emit():
    metrics.add_dimension(name="Api", value="v1")
    metrics.add_dimension(name="Route", value="GET /v1/nodes")
    metrics.add_metric(name="Requests", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="ClientErrors", unit=MetricUnit.Count, value=0)
    metrics.add_metric(name="ServerErrors", unit=MetricUnit.Count, value=0)
    metrics.add_metric(name="Latency", unit=MetricUnit.Milliseconds, value=3.2)
    metrics.flush_metrics()
"""

_STDLIB_LOG = f"""
import logging
log = logging.getLogger("nodeplane.api")
def record():
    log.info("request", extra={_FIELDS})
"""

_POWERTOOLS_LOG = f"""
from aws_lambda_powertools import Logger
logger = Logger(service="nodeplane")
def record():
    logger.info("request", extra={_FIELDS})
"""

_TRACER = """
from aws_lambda_powertools import Tracer
tracer = Tracer(service="nodeplane")
"""

_BASES = {
    "boto3": "import boto3\n",
    "resolver": (
        "import boto3\nfrom aws_lambda_powertools.event_handler import APIGatewayHttpResolver\n"
        "app = APIGatewayHttpResolver(enable_validation=True)\n"
    ),
}

# name -> (setup code, handler body)
_CASES: dict[str, tuple[str, str]] = {
    "baseline": ("", "pass"),
    "(a) stdlib logging, Lambda JSON format": (_STDLIB_LOG, "record()"),
    "(b) Powertools Logger": (
        _POWERTOOLS_LOG.replace("def record():", "@logger.inject_lambda_context\ndef _logged(event, context):")
        + "def record():\n    pass\n",
        "_logged(event, context)",
    ),
    "(c) Powertools Metrics (EMF)": (_POWERTOOLS_METRICS, "emit()"),
    "(c) EMF line with json.dumps": (_EMF_LINE, "emit()"),
    "(a) + EMF line": (_STDLIB_LOG + _EMF_LINE, "record(); emit()"),
    "(b) + Powertools Metrics": (
        _POWERTOOLS_LOG.replace("def record():", "@logger.inject_lambda_context\ndef _logged(event, context):")
        + _POWERTOOLS_METRICS,
        "_logged(event, context); emit()",
    ),
    "Powertools Tracer (X-Ray SDK)": (_TRACER, "pass"),
}


def _module(base: str, setup: str, body: str) -> str:
    return f"{base}{setup}\ndef lambda_handler(event, context):\n    {body}\n    return {{'statusCode': 200}}\n"


def _run(probe: Path, module: Path) -> tuple[float, float]:
    env = {
        **os.environ,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "POWERTOOLS_SERVICE_NAME": "nodeplane",
        "LAMBDA_TASK_ROOT": str(module.parent),  # the Tracer enables itself as in Lambda
    }
    out = subprocess.run([sys.executable, str(probe), str(module)], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{module.name} failed:\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return float(result["total_ms"]), float(result["cpu_ms"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        probe = folder / "probe.py"
        probe.write_text(_PROBE)
        modules: dict[tuple[str, str], Path] = {}
        for base_name, base in _BASES.items():
            for i, (case, (setup, body)) in enumerate(_CASES.items()):
                path = folder / f"{base_name}_{i}.py"
                path.write_text(_module(base, setup, body))
                modules[(base_name, case)] = path
        for path in modules.values():  # compile and warm the file cache once
            _run(probe, path)
        keys = list(modules)
        ms: dict[tuple[str, str], list[float]] = {key: [] for key in keys}
        cpu: dict[tuple[str, str], list[float]] = {key: [] for key in keys}
        for i in range(args.runs):
            for key in keys if i % 2 == 0 else keys[::-1]:
                wall, used = _run(probe, modules[key])
                ms[key].append(wall)
                cpu[key].append(used)
        for base_name in _BASES:
            base_ms, base_cpu = ms[(base_name, "baseline")], cpu[(base_name, "baseline")]
            print(f"\nover a module importing {'only boto3' if base_name == 'boto3' else 'boto3 + the HTTP resolver'}")
            print(
                f"{'case':<42} {'fastest ms':>10} {'median ms':>10} {'paired':>7} {'fastest':>7} "
                f"{'+ms':>6} {'cpu ms':>7} {'cpu paired':>10}"
            )
            for case in _CASES:
                case_ms, case_cpu = ms[(base_name, case)], cpu[(base_name, case)]
                paired = median([c / b for c, b in zip(case_ms, base_ms, strict=True)])
                extra = median([c - b for c, b in zip(case_ms, base_ms, strict=True)])
                cpu_paired = median([c / b for c, b in zip(case_cpu, base_cpu, strict=True)])
                print(
                    f"{case:<42} {min(case_ms):>10.0f} {median(case_ms):>10.0f} {paired:>6.2f}x "
                    f"{min(case_ms) / min(base_ms):>6.2f}x {extra:>+6.0f} {median(case_cpu):>7.0f} {cpu_paired:>9.2f}x"
                )


if __name__ == "__main__":
    main()
