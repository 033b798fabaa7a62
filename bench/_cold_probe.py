"""Run in a fresh interpreter: import one handler module, invoke it once, print the milliseconds."""

import importlib.util
import json
import sys
import time

start = time.perf_counter()
cpu_start = time.process_time()
path, event_file = sys.argv[1], sys.argv[2]
spec = importlib.util.spec_from_file_location("handler_under_test", path)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
imported = time.perf_counter()


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
