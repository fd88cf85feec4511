"""Structured logging through one factory: ``get_logger(__name__).info("event", key=value)``."""

from __future__ import annotations

import logging
from typing import Any


class KeyValueLogger(logging.LoggerAdapter[logging.Logger]):
    """Renders keyword arguments as ``key=value`` pairs after the event name."""

    def process(self, msg: Any, kwargs: Any) -> tuple[Any, Any]:
        fields = {k: v for k, v in kwargs.items() if k not in ("exc_info", "stack_info", "extra")}
        for key in fields:
            kwargs.pop(key)
        if fields:
            msg = f"{msg} " + " ".join(f"{k}={v!r}" if isinstance(v, str) and " " in v else f"{k}={v}"
                                       for k, v in fields.items())
        if isinstance(msg, str):
            from .safety.privacy import (
                mask_phones,  # customers' phone numbers never reach a log in full
            )

            msg = mask_phones(msg)
        return msg, kwargs

    def log(self, level: int, msg: Any, *args: Any, **kwargs: Any) -> None:
        if self.isEnabledFor(level):
            msg, kwargs = self.process(msg, kwargs)
            self.logger.log(level, msg, *args, **kwargs)

    def debug(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        self.log(logging.DEBUG, msg, *args, **kwargs)

    def info(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        self.log(logging.INFO, msg, *args, **kwargs)

    def warning(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        self.log(logging.WARNING, msg, *args, **kwargs)


def get_logger(name: str) -> KeyValueLogger:
    return KeyValueLogger(logging.getLogger(name), {})


def configure(level: str = "WARNING") -> None:
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
