"""Bytes and small values kept in this process under keys that never go stale (issue 16).

The API's rendered bodies and validators (rapportage.api.conditional) and the board pages
(rapportage.page_cache) are kept under keys that name everything they were made from: the
data's version, the release, the user. A key's value never changes, so a copy in the process
can never be stale; keeping it here saves the shared cache's round trip and the copy of the
bytes. Under load every round trip cost more than the rest of the answer (issue 16,
bench/api_bench.py, bench/dashboard_load.py).
"""

import threading
from collections import OrderedDict
from collections.abc import Callable


class LocalStore:
    """Values by key, least recently used dropped first when their size passes `limit`; thread-safe.

    The size of bytes is their length; any other value counts as `item_size` (validators, a few
    hundred bytes each).
    """

    def __init__(self, limit: int, item_size: int = 512) -> None:
        self.limit, self.size, self.item_size = limit, 0, item_size
        self.bodies: OrderedDict[str, object] = OrderedDict()
        self.lock = threading.Lock()  # gunicorn's gthread workers answer from several threads
        self.making: dict[str, threading.Lock] = {}  # get_or_make: the key being made, and its lock

    def _size(self, value) -> int:
        return len(value) if isinstance(value, bytes | bytearray) else self.item_size

    def get(self, key: str):
        """Return the value under `key`, or None."""
        with self.lock:
            value = self.bodies.get(key)
            if value is not None:
                self.bodies.move_to_end(key)
            return value

    def put(self, key: str, value) -> None:
        """Keep `value` under `key`, dropping the least recently used values over the limit."""
        size = self._size(value)
        if size > self.limit:
            return
        with self.lock:
            if key in self.bodies:
                return
            self.bodies[key] = value
            self.size += size
            while self.size > self.limit:
                _, dropped = self.bodies.popitem(last=False)
                self.size -= self._size(dropped)

    def get_or_make(self, key: str, make: Callable[[], object]):
        """Return the value under `key`, made by `make()` and kept when there is none; one thread makes it.

        The threads that ask for a key while another makes it wait for that value instead of making
        it too: when a worker has just started, or the data's version has just moved, every one of
        its threads (8 per worker) asked at once, and each rendered the same 170 KB body and read
        the same rows (20-35 ms of CPU each), which made the just-started p99 (issue 16,
        bench/api_bench.py). If `make()` fails, the waiting threads try themselves.
        """
        value = self.get(key)
        if value is not None:
            return value
        with self.lock:
            making = self.making.setdefault(key, threading.Lock())
        try:
            with making:
                value = self.get(key)
                if value is None:
                    value = make()
                    self.put(key, value)
                return value
        finally:
            with self.lock:
                if self.making.get(key) is making and not making.locked():
                    del self.making[key]

    def clear(self) -> None:
        """Forget every value."""
        with self.lock:
            self.bodies.clear()
            self.size = 0
