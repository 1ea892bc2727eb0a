"""Django's Redis cache with one redis-py client per connection pool, made once instead of per call (issue 16).

Django's RedisCacheClient.get_client() makes a new `redis.Redis` for every cache call, and
redis-py 8 fills about 170 response callbacks into each new one: 0.1-0.6 ms of CPU per call, more
than the GET it sends (bench/api_bench.py: every API answer and cached board page asks the cache
for the data's version, rapportage.page_cache.version). A `redis.Redis` is safe to share between
threads (each command takes a connection from the pool), and Django keeps one cache backend, and
so one client here, per thread anyway. After a fork the pool opens new connections itself
(redis-py checks the process id), so gunicorn's preloaded master hands its workers no socket.
"""

import threading

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class KeptClientRedisCacheClient(RedisCacheClient):
    """RedisCacheClient whose get_client() returns one client per connection pool."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}
        self._lock = threading.Lock()

    def get_client(self, key=None, *, write=False):
        """Return the client of the pool Django's client would choose, made on first use."""
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            with self._lock:
                client = self._clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client


class RedisCache(DjangoRedisCache):
    """django.core.cache.backends.redis.RedisCache with KeptClientRedisCacheClient (settings CACHES)."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = KeptClientRedisCacheClient
