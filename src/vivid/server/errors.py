"""HTTP errors: every error response is ``{"error": {"code": ..., "message": ...}}``.

vivid's own errors (:class:`vivid.errors.VividError`) keep their ``http_status``; request validation
errors become 422; anything unexpected becomes a 500 with a generic message (the traceback goes to
the log, never to the client).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from vivid.errors import InputError, VividError

log = logging.getLogger("vivid.server")


class NotFoundError(VividError):
    """A job, upload or result that does not exist."""

    http_status = 404
    code = "not_found"


class ConflictError(VividError):
    """The request does not fit the resource's state (e.g. cancelling a finished job)."""

    http_status = 409
    code = "conflict"


class UnauthorizedError(VividError):
    """Missing or wrong API key."""

    http_status = 401
    code = "unauthorized"


class UploadTooLargeError(InputError):
    """The request body is bigger than ``max_upload_mb``."""

    http_status = 413
    code = "upload_too_large"


class SyncTooLargeError(InputError):
    """The image is too big to enhance within one request; it should go through a job."""

    http_status = 413
    code = "too_large_for_sync"


class UnsupportedMediaError(InputError):
    """The upload is neither an image nor a video vivid reads."""

    http_status = 415
    code = "unsupported_media_type"


class ServiceUnavailableError(VividError):
    """The service cannot take work right now (shutting down, database down)."""

    http_status = 503
    code = "unavailable"


class ForbiddenError(VividError):
    """A browser request from another site, or to a Host name this server does not serve."""

    http_status = 403
    code = "forbidden"


class _RetryLater(VividError):
    """An error answered with ``Retry-After`` (seconds)."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TooManyRequestsError(_RetryLater):
    """Over a per-key or queue limit (429 with Retry-After)."""

    http_status = 429
    code = "too_many_requests"


class ServiceBusyError(_RetryLater):
    """Every slot for immediate work stayed busy (503 with Retry-After)."""

    http_status = 503
    code = "busy"


_STATUS_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                 405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
                 422: "invalid_request", 429: "too_many_requests", 503: "unavailable"}


_LIBRARY_CODES = {"ImageTooLargeError": "image_too_large", "InputError": "invalid_input",
                  "OutputError": "output_error", "ModelError": "invalid_model", "ConfigError": "invalid_option"}


def error_code(exc: VividError) -> str:
    """A stable code for an error: its class's ``code``, or the nearest library class's code."""
    for cls in type(exc).__mro__:
        if "code" in cls.__dict__:
            return cls.__dict__["code"]
        if cls.__name__ in _LIBRARY_CODES and cls.__module__ == "vivid.errors":
            return _LIBRARY_CODES[cls.__name__]
    return "error"


def error_body(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(code, message), status_code=status, headers=headers)


def scrub_paths(message: str, root: object) -> str:
    """``message`` with every path under the data folder ``root`` replaced (clients never see server paths)."""
    import re
    from pathlib import Path

    where = str(Path(str(root)).resolve())
    return re.sub(re.escape(where) + r"(/[^\s:'\"]*)?", "<stored file>", message)


async def _vivid_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, VividError)
    headers = {"WWW-Authenticate": "X-API-Key"} if isinstance(exc, UnauthorizedError) else None
    if isinstance(exc, _RetryLater):
        headers = {"Retry-After": str(exc.retry_after)}
    message = str(exc)
    settings = getattr(request.app.state, "settings", None)
    if settings is not None:
        message = scrub_paths(message, settings.data_dir)
    return error_response(exc.http_status, error_code(exc), message, headers)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _STATUS_CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if exc.status_code == 404 and message == "Not Found":
        message = f"no such endpoint: {request.method} {request.url.path} (see /docs)"
    headers = dict(exc.headers or {})
    if exc.status_code == 405:  # every method of the path, not only the first route's (RFC 9110 Allow)
        from starlette.routing import Match

        methods = [m for m in ("GET", "POST", "PUT", "PATCH", "DELETE")
                   if any(route.matches({**request.scope, "method": m})[0] == Match.FULL
                          for route in request.app.router.routes)]
        if methods:
            headers["Allow"] = ", ".join(methods)
            message = f"{request.method} is not allowed on {request.url.path}: use {', '.join(methods)}"
    return error_response(exc.status_code, code, message, headers)


def _describe(err: dict) -> str:
    loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header"))
    return f"{loc}: {err.get('msg', 'invalid')}" if loc else str(err.get("msg", "invalid"))


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    message = "; ".join(_describe(e) for e in errors[:5]) or "invalid request"
    body = error_body("invalid_request", message)
    body["error"]["details"] = [{"field": _describe(e).split(":")[0], "message": e.get("msg", "")}
                                for e in errors[:20]]
    return JSONResponse(body, status_code=422)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error in %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", "internal server error; it was logged, please try again "
                                                 "or report it")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(VividError, _vivid_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)
