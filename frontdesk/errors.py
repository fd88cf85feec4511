"""The one exception tree of frontdesk, by audience. Every exception frontdesk raises on purpose
is defined here.

    FrontdeskError
     ├── UserError              the caller asked for something wrong (CLI exit 2, HTTP 4xx)
     │    ├── NotFound          an agent, source or item that does not exist (HTTP 404)
     │    ├── AlreadyExists     a name that is taken (HTTP 409)
     │    ├── InvalidInput      bad arguments, unreadable input, unknown kind
     │    └── WindowClosed      a messaging platform's window for writing to the customer is closed
     ├── InfrastructureError    a dependency failed (database, network, model); retryable (exit 3, HTTP 503)
     │    ├── GraphError        Meta's Graph API failed; ``status`` and ``retryable`` say how
     │    └── Busy              every answer stream of the server is in use (HTTP 503 with Retry-After)
     └── ItemProblem            one file, page or value cannot be read: ingestion reports it as an
          │                     :class:`frontdesk.domain.ItemError` and goes on
          ├── ReadError         a whole file or page (``reason``, and ``where`` in it if known)
          ├── FetchError        fetching a page over HTTP (``reason``)
          ├── PrivateAddress    a URL whose host is or resolves to a non-public address (SSRF guard)
          └── FieldError        one catalog value (also a ``ValueError``); the message names the value

Per-item problems during ingestion are not raised to the caller: they are collected as
:class:`frontdesk.domain.ItemError` values so one bad row never stops a batch.
"""


class FrontdeskError(Exception):
    """Base of every error frontdesk raises on purpose."""

    exit_code = 1


class UserError(FrontdeskError):
    exit_code = 2


class NotFound(UserError):
    pass


class AlreadyExists(UserError):
    pass


class InvalidInput(UserError):
    pass


class WindowClosed(UserError):
    """The platform would not deliver a message to the customer now (its 24-hour window is closed)."""


class InfrastructureError(FrontdeskError):
    exit_code = 3


class GraphError(InfrastructureError):
    """A Graph API request failed; ``retryable`` for 429, 5xx and connection failures."""

    def __init__(self, message: str, status: int | None = None, retryable: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.retryable = retryable


class Busy(InfrastructureError):
    """Every stream slot is taken."""


class ItemProblem(FrontdeskError):
    """One item cannot be read; the message says why."""


class ReadError(ItemProblem):
    """A whole file or page could not be read; carries the reason shown to the user."""

    def __init__(self, reason: str, where: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.where = where


class FetchError(ItemProblem):
    """A page could not be fetched (status, size, type, redirect or connection)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PrivateAddress(ItemProblem):
    """A URL's host is, or resolves to, an address the crawler may not reach."""

    def __init__(self, host: str, address: str) -> None:
        shown = host if host == address else f"{host} ({address})"
        super().__init__(f"{shown} is a loopback, link-local or private address; frontdesk fetches public "
                         "addresses only (set FRONTDESK_ALLOW_PRIVATE_URLS=true to allow them)")
        self.reason = str(self)


class FieldError(ItemProblem, ValueError):
    """A value that cannot be understood; the message names the value."""


class StoreUnavailable(InfrastructureError):
    """The database cannot be reached (PostgreSQL down, wrong URL): a readiness failure, not a bug."""
