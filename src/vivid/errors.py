"""vivid's exception hierarchy.

Every error vivid raises on purpose derives from :class:`VividError`. Messages are one line,
name the thing that was wrong (with its value) and say what to do about it. The CLI prints
them without a traceback; the REST API turns them into 4xx JSON responses.
"""

from __future__ import annotations


class VividError(Exception):
    """Base class for all deliberate vivid errors."""

    #: process exit code used by the CLI for this kind of error
    exit_code: int = 1
    #: HTTP status used by the REST API for this kind of error
    http_status: int = 400


class InputError(VividError):
    """A user-supplied file or value cannot be used (missing, corrupt, too large, wrong type)."""

    exit_code = 2
    http_status = 422


class ImageTooLargeError(InputError):
    """The image has more pixels than the configured limit (decompression-bomb guard)."""

    http_status = 413


class OutputError(VividError):
    """An output cannot be written (exists, unwritable folder, would overwrite the input)."""

    exit_code = 3
    http_status = 409


class ModelError(VividError):
    """A model is unknown, cannot be loaded, or does not fit the request."""

    exit_code = 4
    http_status = 422


class ConfigError(VividError):
    """An option or configuration value is invalid."""

    exit_code = 2
    http_status = 422
