"""Load handler modules as Lambda would and invoke them: one warm container per concurrent invocation.

Like Lambda, a container serves one request at a time, and a request that finds every container busy gets a new
one (a cold start). Handler modules keep per-request state (a resolver's current event), so two threads never
share a module instance; invocations of different containers run concurrently, without a global lock.
"""

from __future__ import annotations

import importlib.util
import itertools
import logging
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from nodeplane_local import logs
from nodeplane_local.template import FunctionSpec

log = logging.getLogger("nodeplane_local")
_serial = itertools.count(1)


@dataclass
class LambdaContext:
    """The attributes of the Lambda context object handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    aws_request_id: str
    timeout_seconds: int
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = ""
    identity: Any = None
    client_context: Any = None
    _deadline: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_seconds
        self.log_group_name = self.log_group_name or f"/aws/lambda/{self.function_name}"
        self.log_stream_name = self.log_stream_name or f"local/[$LATEST]{uuid.uuid4().hex}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def add_layers(layer_dirs: list[Path]) -> None:
    """Layers are /opt/python in Lambda; here their folders go first on sys.path."""
    for layer in reversed(layer_dirs):
        if str(layer) not in sys.path:
            sys.path.insert(0, str(layer))


class Function:
    def __init__(self, spec: FunctionSpec) -> None:
        self.spec = spec
        self._idle: list[ModuleType] = []
        self._lock = threading.Lock()
        self.cold_starts = 0
        self._generation = 0  # bumped by reload(): containers of an older generation are not reused

    def _handler_file(self) -> tuple[Path, str]:
        module_path, _, attr = self.spec.handler.rpartition(".")
        if not module_path or not attr:
            raise ValueError(f"{self.spec.logical_id}: Handler {self.spec.handler!r} is not module.function")
        return self.spec.code_uri / (module_path.replace(".", "/") + ".py"), attr

    def _load(self) -> ModuleType:
        path, _ = self._handler_file()
        # a unique module name per container: every function's app.py would otherwise collide in sys.modules
        name = f"nodeplane_local_fn_{self.spec.logical_id}_{next(_serial)}"
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(name, None)
            raise
        self.cold_starts += 1
        module.__dict__["_nodeplane_local_generation"] = self._generation
        return module

    def acquire(self) -> ModuleType:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return self._load()  # outside the lock: a cold start must not hold up warm invocations

    def release(self, module: ModuleType) -> None:
        with self._lock:
            if module.__dict__.get("_nodeplane_local_generation") == self._generation:
                self._idle.append(module)
            else:
                sys.modules.pop(module.__name__, None)

    def reload(self) -> None:
        """Drop the warm containers: the next invocation loads the handler's code again."""
        with self._lock:
            self._generation += 1
            for module in self._idle:
                sys.modules.pop(module.__name__, None)
            self._idle.clear()

    def context(self) -> LambdaContext:
        return LambdaContext(
            function_name=self.spec.function_name,
            memory_limit_in_mb=self.spec.memory,
            invoked_function_arn=self.spec.arn,
            aws_request_id=str(uuid.uuid4()),
            timeout_seconds=self.spec.timeout,
        )

    def invoke(self, event: Any, context: LambdaContext | None = None) -> Any:
        """Run the handler once; exceptions propagate (the caller decides what Lambda's answer is)."""
        module = self.acquire()
        context = context or self.context()
        try:
            handler = getattr(module, self._handler_file()[1])
            with logs.invocation(context.aws_request_id, self.spec.logical_id):
                return handler(event, context)
        finally:
            self.release(module)

    def module(self) -> ModuleType:
        """A loaded module, for reading its resolver (OpenAPI); it goes back to the pool at once."""
        module = self.acquire()
        self.release(module)
        return module
