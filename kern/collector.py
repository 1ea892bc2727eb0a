"""Pausing CPython's cyclic garbage collector around work that builds hundreds of thousands of objects.

Every 700 new container objects start a collection, and a growing heap keeps promoting full ones
that rescan every live object: half of parsing, planning and validating an upload of 100,000 rows
(bench/import_bench.py), 11 % of a sector recompute's CPU where every value moved (benchmarks.md
14). Reference counting still frees what those builds make; only cycles wait for the next
collection after the pause.

The collector is one switch for the whole process, and a web worker runs several threads (and,
without a broker, tasks in them): pauses are counted under a lock, so the collector is switched
off by the first pause to begin and on again by the last to end, never left off by two pauses
that overlap. Other threads run without it meanwhile, for the seconds the pause lasts.
"""

import gc
import threading
from contextlib import contextmanager

_lock = threading.Lock()
_state = {"depth": 0, "was_enabled": False}


@contextmanager
def collector_paused():
    """Pause the cyclic garbage collector for the block; resume it when the last overlapping pause ends."""
    with _lock:
        if _state["depth"] == 0:
            _state["was_enabled"] = gc.isenabled()
            gc.disable()
        _state["depth"] += 1
    try:
        yield
    finally:
        with _lock:
            _state["depth"] -= 1
            if _state["depth"] == 0 and _state["was_enabled"]:
                gc.enable()
