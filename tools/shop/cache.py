"""The shop's cache: in-process by default, Redis when `REDIS_URL` is set.

Values are JSON (records go in as `model_dump(mode="json")`), stored under a
namespace and a key for `CACHE_TTL_S` seconds. Every namespace has a version
counter that is part of each key (`{namespace}:v{version}:{key}`);
`invalidate(namespace)` bumps it, so everything written before becomes
unreachable at once, in every replica when the counters live in Redis.

Readers take the version *before* they read the database and store under that
version (`remember` does both), so a value computed from rows that changed
meanwhile lands under an already dead version instead of outliving the change.

The cache never fails a request: when Redis does not answer, lookups are misses,
writes are skipped, one WARNING is logged per outage, Redis is tried again after a
back-off, and invalidations that could not be sent are replayed once it answers.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import threading
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from tools.settings import get_settings

log = logging.getLogger(__name__)

CATALOG = "catalog"
"""Category tree and paths, products by SKU. Invalidated by seeding and product writes."""
PROMOTIONS = "promotions"
"""Per-customer promotion snapshots. Invalidated by coupon redemptions and seeding."""


def _key(namespace: str, version: int, key: str) -> str:
    return f"{namespace}:v{version}:{key}"


class Cache(ABC):
    """JSON values per namespace and key, with version-counter invalidation and hit/miss counters."""

    def __init__(self, ttl: int) -> None:
        self.ttl = ttl
        self.hits = 0
        self.misses = 0

    @abstractmethod
    async def version(self, namespace: str) -> int | None:
        """The namespace's current version; None when the cache is unavailable (then nothing is cached)."""

    @abstractmethod
    async def invalidate(self, *namespaces: str) -> None:
        """Make every entry of these namespaces unreachable (call after the write commits)."""

    @abstractmethod
    async def _read(self, key: str) -> str | None: ...

    @abstractmethod
    async def _write(self, key: str, text: str) -> None: ...

    async def get_json(self, namespace: str, version: int | None, key: str) -> Any | None:
        """The value stored under `key` at `version` (from `version()`), or None: a miss."""
        text = await self._read(_key(namespace, version, key)) if version is not None else None
        if text is None:
            self.misses += 1
            return None
        self.hits += 1
        return json.loads(text)

    async def set_json(self, namespace: str, version: int | None, key: str, value: Any) -> None:
        """Store `value` (JSON-able) for `ttl` seconds under the version read before computing it."""
        if version is not None and self.ttl > 0:
            await self._write(_key(namespace, version, key), json.dumps(value, separators=(",", ":")))

    async def remember(self, namespace: str, key: str, load: Callable[[], Awaitable[Any]]) -> Any:
        """The cached value, or `load()`'s (stored unless None)."""
        version = await self.version(namespace)
        found = await self.get_json(namespace, version, key)
        if found is not None:
            return found
        value = await load()
        if value is not None:
            await self.set_json(namespace, version, key, value)
        return value


class MemoryCache(Cache):
    """This process only: a bounded LRU map with expiry. Holds no asyncio objects, so any
    event loop (and thread) may use it; operations never await, so none interleave."""

    def __init__(self, ttl: int, max_entries: int = 1000, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(ttl)
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._versions: dict[str, int] = {}
        self._lock = threading.Lock()

    async def version(self, namespace: str) -> int | None:
        return self._versions.get(namespace, 0)

    async def invalidate(self, *namespaces: str) -> None:
        with self._lock:
            for namespace in namespaces:
                self._versions[namespace] = self._versions.get(namespace, 0) + 1
                for key in [k for k in self._entries if k.startswith(f"{namespace}:")]:
                    del self._entries[key]

    async def _read(self, key: str) -> str | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] <= self._clock():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry[1]

    async def _write(self, key: str, text: str) -> None:
        with self._lock:
            self._entries[key] = (self._clock() + self.ttl, text)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)


_DOWN = object()
"""What `RedisCache._run` returns when Redis did not answer."""


class RedisCache(Cache):
    """Shared by every replica that uses the same Redis and `prefix`.

    Short socket timeouts and no client retries: a slow or absent Redis costs a
    request at most ~`timeout`, then nothing at all until `retry_after` seconds pass.
    One client per event loop (a redis.asyncio connection belongs to its loop).
    """

    def __init__(self, url: str, ttl: int, prefix: str = "shop:", timeout: float = 0.2, retry_after: float = 5.0) -> None:
        super().__init__(ttl)
        self.url, self.prefix, self.timeout, self.retry_after = url, prefix, timeout, retry_after
        self._loop: asyncio.AbstractEventLoop | None = None
        self._redis: Redis | None = None
        self._down = False
        self._retry_at = 0.0
        self._pending: set[str] = set()  # namespaces whose invalidation Redis missed

    def _client(self) -> Redis:
        loop = asyncio.get_running_loop()
        if self._redis is None or self._loop is not loop:
            self._loop = loop
            self._redis = Redis.from_url(self.url, socket_timeout=self.timeout, socket_connect_timeout=self.timeout,
                                         retry=Retry(NoBackoff(), 0), decode_responses=True)
        return self._redis

    async def _run(self, op: Callable[[Redis], Awaitable[Any]]) -> Any:
        """`op(client)`'s result, or `_DOWN` (logged once per outage) if Redis fails or is backing off."""
        if self._down and time.monotonic() < self._retry_at:
            return _DOWN
        try:
            client = self._client()
            for namespace in sorted(self._pending):
                await client.incr(self._version_key(namespace))
                self._pending.discard(namespace)
            result = await op(client)
        except (RedisError, OSError) as exc:
            if not self._down:
                log.warning("Redis cache at %s unavailable (%s); serving without cache", self.url, exc)
            self._down, self._retry_at = True, time.monotonic() + self.retry_after
            return _DOWN
        if self._down:
            log.info("Redis cache at %s answers again", self.url)
            self._down = False
        return result

    def _version_key(self, namespace: str) -> str:
        return f"{self.prefix}{namespace}:version"

    async def version(self, namespace: str) -> int | None:
        raw = await self._run(lambda r: r.get(self._version_key(namespace)))
        return None if raw is _DOWN else int(raw or 0)

    async def invalidate(self, *namespaces: str) -> None:
        for namespace in namespaces:
            if await self._run(lambda r: r.incr(self._version_key(namespace))) is _DOWN:
                self._pending.add(namespace)

    async def _read(self, key: str) -> str | None:
        text = await self._run(lambda r: r.get(self.prefix + key))
        return None if text is _DOWN else text

    async def _write(self, key: str, text: str) -> None:
        await self._run(lambda r: r.set(self.prefix + key, text, ex=self.ttl))

    async def aclose(self) -> None:
        """Close this loop's connections (tests and shutdown)."""
        if self._redis is not None:
            await self._redis.aclose()
        self._redis = self._loop = None


_current: tuple[tuple[str, str, int], Cache] | None = None


def get_cache() -> Cache:
    """The cache for the current settings: Redis at `REDIS_URL`, else in-process.

    Scoped to `DATABASE_URL` (a fresh in-process cache, or a Redis key prefix per
    database), so two databases (tests, or two shops on one Redis) never share
    entries; replicas of one shop must therefore use the same `DATABASE_URL` text.
    """
    global _current
    settings = get_settings()
    identity = (settings.redis_url, settings.database_url, settings.cache_ttl_s)
    if _current is None or _current[0] != identity:
        if settings.redis_url:
            scope = hashlib.sha256(settings.database_url.encode()).hexdigest()[:16]
            cache: Cache = RedisCache(settings.redis_url, settings.cache_ttl_s, prefix=f"shop:{scope}:")
        else:
            cache = MemoryCache(settings.cache_ttl_s)
        _current = (identity, cache)
    return _current[1]


def reset_cache() -> None:
    """Forget the cache (the next `get_cache()` starts an empty one; Redis keeps its entries)."""
    global _current
    _current = None
