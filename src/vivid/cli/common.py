"""What every ``vivid`` command shares: the two consoles, the one-line error handling, and the option checks
that turn flags into the library's typed options. Sub-command modules import from here, not from
:mod:`vivid.cli.main` (which imports them)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer
from rich.console import Console

#: messages, progress and errors go to stderr
console = Console(stderr=True)
# tables and JSON go to stdout; when it is not a terminal (a pipe, a file) do not squeeze them into 80 columns
out_console = Console(width=None if sys.stdout.isatty() else 200)


def fail(message: str, code: int) -> typer.Exit:
    from rich.markup import escape  # messages name extras such as 'vivid-restore[torch]'

    console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def guarded(fn):  # noqa: ANN001, ANN201
    """Turn vivid errors into one clear line and an exit code; never a traceback (unless VIVID_DEBUG)."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        from vivid.errors import VividError

        try:
            return fn(*args, **kwargs)
        except typer.Exit:
            raise
        except VividError as e:
            raise fail(str(e), e.exit_code) from None
        except KeyboardInterrupt:
            raise fail("interrupted; finished outputs are complete, nothing is half-written", 130) from None
        except Exception as e:  # an unexpected bug: still one line, with a way to see more
            if os.environ.get("VIVID_DEBUG"):
                raise
            raise fail(f"internal error: {type(e).__name__}: {e} (set VIVID_DEBUG=1 for the traceback)", 70) from None

    return wrapper


def enhance_options(kind: type | None = None, **options: object):  # noqa: ANN201 - a vivid EnhanceOptions
    """The options as the library checks them (the REST API makes the same checks), before any file is
    read, as an :class:`~vivid.engine.options.EnhanceOptions` (or ``kind``, e.g. video's extension of it);
    ``size`` is typed ``WxH``. The library's words for options become the CLI's option names."""
    import re

    from vivid.engine.options import EnhanceOptions
    from vivid.errors import ConfigError

    try:
        return (kind or EnhanceOptions)(**options)
    except ConfigError as e:
        text = re.sub(r"^(scale|size|task|fit|tile|strength|alpha)\b", r"--\1", str(e))
        text = re.sub(r"\b(an explicit|for example|to|made for|or) task\b", r"\1 --task", text)
        raise ConfigError(text.replace("a scale or size", "--scale or --size")) from None


def model_option(model: str | None, model_file: Path | None) -> str | None:
    """``--model NAME`` or ``--model-file PATH`` (as ``file:PATH``), checked the same way in every command."""
    from vivid.errors import ConfigError, InputError

    if model and model_file:
        raise ConfigError("give either --model or --model-file, not both")
    if model_file is not None and not model_file.is_file():
        raise InputError(f"model file {model_file} does not exist" if not model_file.exists()
                         else f"model file {model_file} is a folder, not a model file")
    return f"file:{model_file}" if model_file else model
