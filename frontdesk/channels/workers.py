"""Channel workers: threads that claim queued events and sends and handle them.

A worker claims the oldest pending event of a customer with nothing else in work (so one
customer's messages are answered in order, several customers at once), else a queued send. A
failed event is retried with backoff (``graph_backoff`` · 4^attempt, at most 5 minutes, 5 attempts)
when the failure may pass (infrastructure, a retryable Graph error), else marked failed.

Claims are leases of ``FRONTDESK_CLAIM_LEASE`` seconds in the shared database: a heartbeat thread
renews this process's claims while it works on them, a process that dies loses them when the
lease runs out (another process takes them over), and a clean stop hands them back at once.
On PostgreSQL every process runs workers (``FOR UPDATE SKIP LOCKED``).
"""

from __future__ import annotations

import threading
from datetime import timedelta

from ..config import Settings
from ..domain import ChannelEvent, utcnow
from ..errors import FrontdeskError, GraphError, UserError
from ..log import get_logger
from ..store import Store
from .events import EventProcessor
from .link import MetaLink
from .outbox import WORKER_ID, Outbox

log = get_logger(__name__)
MAX_EVENT_ATTEMPTS = 5


class Workers:
    def __init__(self, store: Store, settings: Settings, link: MetaLink, processor: EventProcessor,
                 outbox: Outbox) -> None:
        self.store = store
        self.settings = settings
        self.link = link
        self.processor = processor
        self.outbox = outbox
        self._wake = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._closed = threading.Event()  # stopped: the lease renewals end too
        self.worker_id = WORKER_ID
        self.lease = float(settings.claim_lease)

    def __len__(self) -> int:
        return len(self._threads)

    def start(self) -> None:
        if self._threads or self.settings.channel_workers <= 0:
            return  # 0: another process of the same database runs the channel workers
        events, sends = self.store.resume_channel_work()
        if events or sends:
            log.warning("resuming channel work left by the last run", events=events, sends=sends)
        self.link.stopping.clear()
        self._closed.clear()
        for n in range(self.settings.channel_workers):
            worker = threading.Thread(target=self._work, name=f"frontdesk-channel-{n}", daemon=True)
            worker.start()
            self._threads.append(worker)
        self._heartbeat = threading.Thread(target=self._renew, name="frontdesk-channel-leases", daemon=True)
        self._heartbeat.start()

    def drain(self) -> None:
        """Claim nothing new from now on (SIGTERM): the work in hand finishes, the queue waits for others."""
        self.link.stopping.set()
        self.wake()

    def _renew(self) -> None:
        """Keep this process's claims while it works on them: another process takes them only if it dies."""
        while not self._closed.wait(self.lease / 3):
            try:
                self.store.renew_leases(self.worker_id, self.lease)
            except Exception:  # the database away for a moment: the next beat tries again
                log.exception("channel lease renewal failed")

    def stop(self) -> None:
        self.link.stopping.set()
        self._closed.set()
        self.wake()
        for worker in self._threads:
            worker.join(timeout=10)
        if self._threads:
            try:  # what is still claimed goes back to the queue now, not when its lease runs out
                self.store.renew_leases(self.worker_id, 0)
            except Exception:
                log.exception("could not hand back channel claims")
        self._threads.clear()

    def wake(self) -> None:
        with self._wake:
            self._wake.notify_all()

    def _work(self) -> None:
        while not self.link.stopping.is_set():
            try:
                busy = self.step()
            except Exception:  # a worker must outlive any one message
                log.exception("channel worker error")
                busy = False
            if not busy:
                with self._wake:
                    self._wake.wait(timeout=1.0)

    def step(self) -> bool:
        """Handle one pending event or send; False when there was nothing to do."""
        event = self.store.claim_event(self.worker_id, self.lease)
        if event is not None:
            self._handle(event)
            return True
        send = self.store.claim_send(worker=self.worker_id, lease=self.lease)
        if send is not None:
            self.outbox.send(send)
            return True
        return False

    def _handle(self, event: ChannelEvent) -> None:
        redact = self.link.secrets.redact
        try:
            state, conversation_id = self.processor.process(event)
        except GraphError as exc:
            self._failed(event, redact(str(exc)), exc.retryable)
        except FrontdeskError as exc:
            self._failed(event, redact(str(exc)), not isinstance(exc, UserError))
        except Exception as exc:
            log.exception("channel event failed", event=event.id)
            self._failed(event, redact(f"{type(exc).__name__}: {exc}"), True)
        else:
            self.store.finish_event(event.id, state, conversation_id=conversation_id)

    def _failed(self, event: ChannelEvent, error: str, retryable: bool) -> None:
        log.warning("channel event failed", event=event.id, kind=event.kind, error=error, attempt=event.attempts)
        if retryable and event.attempts < MAX_EVENT_ATTEMPTS:
            wait = self.settings.graph_backoff * 4 ** event.attempts
            self.store.retry_event(event.id, error, utcnow() + timedelta(seconds=min(wait, 300)))
        else:
            self.store.finish_event(event.id, "failed", error=error)
