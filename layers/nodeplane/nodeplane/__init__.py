"""nodeplane: the domain package every handler shares (the Lambda layer)."""

import gc


def freeze_heap() -> None:
    """Move every object alive now out of the cyclic collector's reach.

    What a container builds while it initialises (the SDK, Powertools, pydantic, the models, the resolver)
    lives as long as the container. Frozen, it is no longer re-scanned by each full collection that later
    allocations trigger; without it, the first full collection of a cold start (typically while botocore
    loads its endpoint rules) walks the whole import-time heap. bench/bench_cold_start.py measures it.
    """
    gc.freeze()


# the first nodeplane import: the SDK, Powertools and pydantic are usually loaded by now
freeze_heap()
