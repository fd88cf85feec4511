"""The one exception tree of frontdesk, by audience.

    FrontdeskError
     ├── UserError              the caller asked for something wrong (CLI exit 2, HTTP 4xx)
     │    ├── NotFound          an agent, source or item that does not exist
     │    ├── AlreadyExists     a name that is taken
     │    └── InvalidInput      bad arguments, unreadable input, unknown kind
     └── InfrastructureError    a dependency failed (database, network, model); retryable

Per-item problems during ingestion are not exceptions: they are collected as
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


class InfrastructureError(FrontdeskError):
    exit_code = 3
