"""PostgreSQL for tests: each store gets its own fresh schema in the database ``test``.

The server is the machine's PostgreSQL at 127.0.0.1:5432 (``FRONTDESK_TEST_POSTGRES`` names
another; ``.ci/run`` starts it when it is not running). A schema is named after the process and
a counter, and only schemas this process created are dropped: nobody else's data is touched.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

SERVER = os.environ.get("FRONTDESK_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
_names = itertools.count(1)


def url_for(schema: str) -> str:
    """The schema's URL. Its sessions commit without waiting for the server's disk (what another
    session sees is the same; only a crash of the server could lose the last commits of a test)."""
    separator = "&" if "?" in SERVER else "?"
    return f"{SERVER}{separator}options={quote(f'-csearch_path={schema} -csynchronous_commit=off')}"


@contextmanager
def fresh_schema(label: str = "t") -> Iterator[str]:
    """A database URL whose tables live in a new, empty schema, dropped afterwards."""
    import psycopg

    schema = f"fd_{label}_{os.getpid()}_{next(_names)}"
    with psycopg.connect(SERVER, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield url_for(schema)
    finally:
        with psycopg.connect(SERVER, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
