"""`make run` picks up edits: when a file under a function's CodeUri changes, that function's warm containers are
dropped, so its next invocation is a cold start on the new code (as a `sam deploy` of that function would be).
The layer's modules are shared by every function in this process; a change there is announced, and takes a
restart."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from pathlib import Path

from nodeplane_local.functions import Function

log = logging.getLogger("nodeplane_local")


def owners(changed: Iterable[Path], functions: Iterable[Function]) -> list[Function]:
    """The functions whose code folder holds one of ``changed``."""
    paths = [p.resolve() for p in changed]
    return [fn for fn in functions if any(p.is_relative_to(fn.spec.code_uri) for p in paths)]


class Reloader:
    def __init__(self, functions: list[Function], layer_dirs: list[Path]) -> None:
        self.functions = functions
        self.layer_dirs = [d.resolve() for d in layer_dirs]
        self.roots = sorted({fn.spec.code_uri.parent for fn in functions} | set(self.layer_dirs))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def handle(self, changed: set[Path]) -> None:
        sources = {p for p in changed if p.suffix == ".py"}
        for fn in owners(sources, self.functions):
            fn.reload()
            log.info("reloaded %s (its code changed)", fn.spec.logical_id)
        if any(p.is_relative_to(d) for p in sources for d in self.layer_dirs):
            log.warning("the layer's code changed: restart `make run` to load it")

    def _run(self) -> None:
        from watchfiles import watch

        for changes in watch(*self.roots, stop_event=self._stop, yield_on_timeout=False, raise_interrupt=False):
            self.handle({Path(path) for _, path in changes})

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="reload", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
