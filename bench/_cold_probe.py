"""Run in a fresh interpreter: import one handler module, invoke it once, print the milliseconds.

``--record FILE`` also writes the AWS calls the invoke made (service, operation, parameters) for
replay_handler.py; the bench records on a separate run, so measured runs carry no recording overhead.
Logging is on as in Lambda with the JSON log format: before the clock starts, the root logger writes INFO records
as JSON objects with their extra fields (to stderr, which the bench discards); the functions' metrics go to stdout.
"""

import importlib.util
import json
import logging
import sys
import time


class _LambdaJson(logging.Formatter):
    """The shape of Lambda's JSON log format: fixed keys, then every extra attribute of the record."""

    _reserved = set(vars(logging.makeLogRecord({}))) | {"message"}

    def format(self, record):
        out = {"timestamp": record.created, "level": record.levelname, "message": record.getMessage()}
        out.update((k, v) for k, v in vars(record).items() if k not in self._reserved and k not in out)
        return json.dumps(out, default=str)


_handler = logging.StreamHandler(sys.stderr)
_handler.setFormatter(_LambdaJson())
logging.getLogger().addHandler(_handler)
logging.getLogger().setLevel(logging.INFO)

start = time.perf_counter()
cpu_start = time.process_time()
args = sys.argv[1:]
record = None
if args[0] == "--record":
    record, args = args[1], args[2:]
path, event_file = args
spec = importlib.util.spec_from_file_location("handler_under_test", path)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
imported = time.perf_counter()

calls = []
if record:
    import base64

    from botocore.client import BaseClient

    def _encode(value):
        if isinstance(value, bytes | bytearray):
            return {"__bytes__": base64.b64encode(value).decode()}
        if isinstance(value, dict):
            return {k: _encode(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [_encode(v) for v in value]
        return value

    _make_api_call = BaseClient._make_api_call

    def _recording(self, operation_name, api_params):
        service = self.meta.service_model.service_name
        calls.append({"service": service, "operation": operation_name, "params": _encode(api_params)})
        return _make_api_call(self, operation_name, api_params)

    BaseClient._make_api_call = _recording


class Context:
    function_name = "bench"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    aws_request_id = "bench"

    @staticmethod
    def get_remaining_time_in_millis():
        return 15000


with open(event_file) as f:
    event = json.load(f)
result = module.lambda_handler(event, Context())
done = time.perf_counter()
cpu_done = time.process_time()
if record:
    with open(record, "w") as f:
        json.dump(calls, f)
print(
    json.dumps(
        {
            "import_ms": (imported - start) * 1000,
            "total_ms": (done - start) * 1000,
            "cpu_ms": (cpu_done - cpu_start) * 1000,
            "status": result.get("statusCode") if isinstance(result, dict) else None,
        }
    )
)
