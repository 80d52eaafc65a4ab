"""Building large object graphs fast: the cycle collector paused while they are made."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def without_garbage_collection() -> Iterator[None]:
    """Pause the cycle collector while a large, acyclic object graph is built.

    Parsing and unpickling allocate hundreds of thousands of nodes, dicts and models,
    none of them in a cycle; the collector re-scanning them at every threshold was
    more than half of a cold load of 10,000 records (benchmarks/README.md).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        # What was built lives as long as the process and holds no cycles: frozen, the
        # collector never scans it again. Without this, the first collection after the
        # collector is back walks the whole graph once more (90 ms at 10,000 records).
        gc.freeze()
        if enabled:
            gc.enable()
