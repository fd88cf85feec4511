"""Reading a ``Retry-After`` header (RFC 9110 §10.2.3): delay-seconds or an HTTP date."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait that ``value`` asks for (0 for a date already past), or None when it says nothing usable."""
    if not value or not value.strip():
        return None
    text = value.strip()
    try:  # delay-seconds (RFC 9110 says an integer; a fraction is taken as meant)
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # an HTTP date is always GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
