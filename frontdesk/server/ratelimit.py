"""Per-visitor rate limits for the public web chat: a token bucket per key, in memory.

In memory means per process; a deployment with several instances behind one balancer gets
one bucket per instance (a shared store such as Redis is the seam for that).
"""

from __future__ import annotations

import threading
import time


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
