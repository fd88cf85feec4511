"""Run a blocking generator (the responder, a model client) in its own thread and consume it from asyncio.

The answer pipeline is synchronous: retrieval is CPU work and the model clients block on I/O.
Each stream gets a thread, so a slow model never holds one of the event loop's workers; a
semaphore bounds how many run at once. A stream whose client went away still finishes, so
the conversation's transcript stays whole. :func:`event_stream` is the response the widget's,
the widget's recordings' and the characters' chat routes return.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, TypeVar

from fastapi.responses import StreamingResponse

from ..errors import Busy, FrontdeskError

T = TypeVar("T")
_END = object()
#: How a turn's (kind, value) pair is sent: an event name and its data, or None to send nothing.
Render = Callable[[str, Any], "tuple[str, dict[str, Any]] | None"]


def sse_event(name: str, data: dict[str, Any]) -> str:
    """One server-sent event named ``name`` with a JSON payload (the widget's, a character's, a recording's stream)."""
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


class StreamSlots:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._active = 0
        self._lock = threading.Lock()

    @property
    def active(self) -> int:
        return self._active

    def acquire(self) -> None:
        with self._lock:
            if self._active >= self.limit:
                raise Busy(f"all {self.limit} answer streams are busy")
            self._active += 1

    def release(self) -> None:
        with self._lock:
            self._active -= 1


async def iterate_in_thread(make: Callable[[], Iterator[T]], slots: StreamSlots) -> AsyncIterator[T]:
    """Yield what ``make()`` yields, produced in a new thread. Raises :class:`Busy` before starting."""
    slots.acquire()
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[object] = asyncio.Queue()

    def put(value: object) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, value)
        except RuntimeError:  # the event loop has shut down
            pass

    def run() -> None:
        try:
            for item in make():
                put(item)
        except BaseException as exc:  # handed to the consumer
            put(exc)
        finally:
            slots.release()
            put(_END)

    threading.Thread(target=run, name="frontdesk-stream", daemon=True).start()
    while (item := await queue.get()) is not _END:
        if isinstance(item, BaseException):
            raise item
        yield item  # type: ignore[misc]


def event_stream(make: Callable[[], Iterator[tuple[str, Any]]], slots: StreamSlots, render: Render) -> StreamingResponse:
    """A turn's server-sent events: the (kind, value) pairs ``make()`` yields, produced in a thread
    of their own (:func:`iterate_in_thread`), each sent as ``render`` names it; a
    :class:`FrontdeskError` (all slots busy included) ends the stream with an ``error`` event."""
    events = iterate_in_thread(make, slots)

    async def sse() -> AsyncIterator[str]:
        try:
            async for kind, value in events:
                event = render(kind, value)
                if event is not None:
                    yield sse_event(*event)
        except FrontdeskError as exc:
            yield sse_event("error", {"message": str(exc)})

    return StreamingResponse(sse(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
