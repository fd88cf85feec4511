"""Progress for long CLI work: a rich bar on a terminal, plain stage lines otherwise."""

from __future__ import annotations

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)


class TerminalProgress:
    def __init__(self, console: Console) -> None:
        self.console = console
        self.interactive = console.is_terminal
        self._progress: Progress | None = None
        self._task = None

    def __enter__(self) -> TerminalProgress:
        if self.interactive:
            self._progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                                      MofNCompleteColumn(), TimeElapsedColumn(), console=self.console, transient=True)
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def stage(self, description: str, total: int | None = None) -> None:
        if self._progress is not None:
            if self._task is not None:
                self._progress.remove_task(self._task)
            self._task = self._progress.add_task(description, total=total)
        else:
            click.echo(f"… {description}", err=True)

    def advance(self, amount: int = 1) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, amount)
