"""Retrieval in a worker process, for a server that relays many answers at once.

Planning an answer (embedding the question, hybrid search, choosing the evidence) is about
10 ms of Python CPU work. In-process, it competes for the interpreter lock with the threads
that relay the streams already flowing, and the lock serves whoever asks in no useful order:
a burst of new chats then delays every stream's next sentence (bench/serve_load.py). In a
process of its own, lowered in priority, retrieval runs beside the relaying, and the
operating system's scheduler, unlike the interpreter lock, lets the relays' short wake-ups
go first.

The worker opens the same store and the same saved search indexes; a plan comes back as
plain data. If the worker dies, the next plan starts a new one; if that fails too, the plan
is made in this process.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime
from typing import TYPE_CHECKING

from ..domain import Agent, utcnow
from ..log import get_logger

if TYPE_CHECKING:
    from ..config import Settings
    from .responder import Plan, Responder, Turn

log = get_logger(__name__)

#: How much lower than the server the worker runs (nice(2) increment).
NICENESS = 5

_responder: Responder | None = None  # the worker's own, without a language model


def _start_worker(settings: Settings, parent: int) -> None:
    global _responder
    from ..search.engine import SearchEngine
    from ..store import open_store
    from .responder import Responder

    try:
        os.nice(NICENESS)
    except OSError:  # not permitted here: run at the same priority
        pass
    _exit_with_parent(parent)  # the server's pid, given by it: it may be gone before this runs
    store = open_store(settings.resolved_database_url)
    _responder = Responder(store, SearchEngine.for_settings(store, settings), settings, None)


def _exit_with_parent(parent: int, every: float = 1.0) -> None:
    """End this worker within ``every`` seconds of the server's end, however it ends (kill -9 too):
    an orphan is re-parented, so its parent id changes."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        os._exit(0)

    threading.Thread(target=watch, name="frontdesk-parent-watch", daemon=True).start()


def _plan_in_worker(agent: Agent, question: str, previous: Turn, now: datetime) -> Plan:
    assert _responder is not None, "the worker was not started"
    return _responder.plan(agent, question, previous, now)


def _warm_worker(agent: Agent | None) -> None:
    assert _responder is not None
    if agent is not None:
        _responder.plan(agent, "warm up the search", _responder.previous_turn(None), utcnow())


class ProcessPlanner:
    """Makes plans in one worker process (started on first use)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                                 initializer=_start_worker, initargs=(self.settings, os.getpid()))
            return self._pool

    def warm_up(self, agent: Agent | None) -> None:
        """Start the worker and load its embedder and the agent's index."""
        self._executor().submit(_warm_worker, agent).result()

    def __call__(self, agent: Agent, question: str, previous: Turn, now: datetime) -> Plan | None:
        """The plan, or None when no worker can make it (the caller plans in-process)."""
        for attempt in (1, 2):
            pool = self._executor()
            try:
                return pool.submit(_plan_in_worker, agent, question, previous, now).result()
            except BrokenProcessPool:
                log.warning("the retrieval worker died; starting another", attempt=attempt)
                with self._lock:
                    if self._pool is pool:
                        self._pool = None
                pool.shutdown(wait=False, cancel_futures=True)
        return None

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
