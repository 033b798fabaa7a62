"""nodeplane: the domain package every handler shares (the Lambda layer).

A Lambda container's initialisation (importing the SDK, Powertools, pydantic and the models, building the
resolver) only ever adds objects that live as long as the container. Python's cyclic collector, left on, walks that
growing heap again and again while it is being built: a full collection each time it grows by a quarter. So in a
Lambda container the collector is paused from the first nodeplane import until the function module calls
``freeze_heap()`` as its last line; the heap built by then is frozen out of the collector's reach and collection
resumes. bench/bench_cold_start.py measures the effect; tests/unit/test_functions_init.py checks that every function
module resumes collection.
"""

import gc
import os

# set by the Lambda runtime (and by the cold-start bench, which runs handlers as Lambda does)
_paused = bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME")) and gc.isenabled()
if _paused:
    gc.disable()


def freeze_heap() -> None:
    """End of initialisation: move every object alive now out of the collector's reach, and resume collection.

    Without the freeze, the first full collection of a cold start (typically while botocore loads its endpoint
    rules at the first request) would still walk the whole import-time heap.
    """
    global _paused
    gc.freeze()
    if _paused:
        _paused = False
        gc.enable()
