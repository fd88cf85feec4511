"""Background work the API starts and the caller polls: source ingestion and syncs.

One worker thread: ingestion is CPU-bound (parsing, embedding) and two at once on a small
machine would only slow each other and the answers. Jobs live in memory; a source's own
``last_status``/``last_errors`` in the store are the durable record.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ..domain import SyncSummary, utcnow
from ..errors import FrontdeskError
from ..log import get_logger

log = get_logger(__name__)
_KEEP = 1000


@dataclass
class Job:
    id: int
    agent_id: int
    description: str
    state: str = "queued"  # queued, running, done, failed
    created_at: str = field(default_factory=lambda: utcnow().isoformat())
    finished_at: str | None = None
    summaries: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "description": self.description, "state": self.state,
                "created_at": self.created_at, "finished_at": self.finished_at,
                "summaries": self.summaries, "error": self.error}


class Jobs:
    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="frontdesk-ingest")
        self._jobs: OrderedDict[int, Job] = OrderedDict()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def submit(self, agent_id: int, description: str, work: Callable[[], list[SyncSummary]]) -> Job:
        job = Job(next(self._ids), agent_id, description)
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > _KEEP:
                self._jobs.popitem(last=False)
        self._pool.submit(self._run, job, work)
        return job

    def _run(self, job: Job, work: Callable[[], list[SyncSummary]]) -> None:
        job.state = "running"
        try:
            job.summaries = [{"source_id": s.source_id, "location": s.location, **s.counts(),
                              "errors": [str(e) for e in s.errors], "seconds": round(s.seconds, 2)}
                             for s in work()]
            job.state = "done"
        except FrontdeskError as exc:
            job.state, job.error = "failed", str(exc)
        except Exception as exc:  # a job never takes the server down; the log has the traceback
            log.exception("job %s failed", job.id)
            job.state, job.error = "failed", f"internal error: {type(exc).__name__}"
        job.finished_at = utcnow().isoformat()

    def get(self, job_id: int) -> Job | None:
        return self._jobs.get(job_id)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
