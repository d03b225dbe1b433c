"""A command decorator for CLI sub-apps that :mod:`vivid.cli.main` imports (so they cannot import it back)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any


def guarded(fn: Callable[..., Any]) -> Callable[..., Any]:
    """:func:`vivid.cli.main.guarded` (one-line errors, exit codes), looked up when the command runs."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from vivid.cli.common import guarded as main_guarded

        return main_guarded(fn)(*args, **kwargs)

    return wrapper
