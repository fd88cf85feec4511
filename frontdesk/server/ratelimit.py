"""Rate limits for the public web chat and console logins: a token bucket per key.

:class:`RateLimiter` keeps its buckets in memory, so per process. :class:`RedisRateLimiter`
keeps them in Redis (``FRONTDESK_REDIS_URL``), so every server process and host behind one
balancer shares them: a visitor gets the same budget whichever process answers. Both answer
:meth:`allow` the same way; :func:`rate_limiter` picks one from the settings.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Protocol

from ..config import Settings
from ..errors import InfrastructureError
from ..log import get_logger

log = get_logger(__name__)


class Limiter(Protocol):
    def allow(self, key: str) -> float:
        """0 when a request for ``key`` may go ahead now, else the seconds to wait."""
        ...


class RateLimiter:
    def __init__(self, per_minute: int, burst: int | None = None, max_keys: int = 100_000) -> None:
        self.rate = per_minute / 60.0
        self.capacity = float(burst if burst is not None else max(1, per_minute))
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> float:
        """0 when a request for ``key`` may go ahead now, else the seconds to wait."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                self._evict(now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self.rate if self.rate > 0 else 60.0

    def _evict(self, now: float) -> None:
        if len(self._buckets) > self.max_keys:  # forget full buckets first: they hold no state
            full = [k for k, (t, last) in self._buckets.items()
                    if t + (now - last) * self.rate >= self.capacity]
            for key in full[: len(self._buckets) - self.max_keys + 1]:
                del self._buckets[key]


# The same bucket, computed inside Redis so concurrent processes cannot both spend the last token.
# Time is Redis's own clock (TIME), so hosts need not agree on theirs. Keys expire once full again.
_BUCKET = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'last')
local tokens = tonumber(state[1]) or capacity
local last = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + (now - last) * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  if rate > 0 then wait = (1 - tokens) / rate else wait = 60 end
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'last', tostring(now))
local ttl = 60
if rate > 0 then ttl = math.ceil(capacity / rate) + 1 end
redis.call('EXPIRE', KEYS[1], ttl)
return tostring(wait)
"""


class RedisRateLimiter:
    def __init__(self, client: Any, name: str, per_minute: int, burst: int | None = None) -> None:
        self.rate = per_minute / 60.0
        self.capacity = float(burst if burst is not None else max(1, per_minute))
        self.prefix = f"frontdesk:rate:{name}:"
        self._client = client
        self._script = client.register_script(_BUCKET)

    def allow(self, key: str) -> float:
        import redis

        try:
            return float(self._script(keys=[self.prefix + key], args=[self.capacity, self.rate]))
        except redis.RedisError as exc:
            raise InfrastructureError(f"the shared rate limits (Redis) cannot be reached: {exc}") from None


def redis_client(settings: Settings) -> Any:
    """The Redis client of ``FRONTDESK_REDIS_URL`` (None when it is not set)."""
    if not settings.redis_url:
        return None
    import redis

    return redis.Redis.from_url(settings.redis_url, socket_timeout=2, socket_connect_timeout=2,
                                health_check_interval=30)


def rate_limiter(client: Any, name: str, per_minute: int, burst: int | None = None) -> Limiter:
    """Shared through Redis when there is a client, else in this process."""
    if client is None:
        return RateLimiter(per_minute, burst)
    return RedisRateLimiter(client, name, per_minute, burst)
