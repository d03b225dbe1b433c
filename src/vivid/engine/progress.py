"""One progress callback type, used by the CLI's progress bar, the service's jobs and video."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def __call__(self, done: float, total: float, message: str = "") -> None:
        """Report ``done`` of ``total`` units of work (tiles, frames, files)."""


def null_progress(done: float, total: float, message: str = "") -> None:
    """A progress callback that ignores everything."""
