"""``/docs`` (Swagger UI) and ``/redoc`` served from the installed package, never from a CDN.

FastAPI's own pages load Swagger UI and ReDoc from a CDN (and ReDoc from Google Fonts), so they are blank
on a machine without internet. The ``fastapi-offline`` package ships the same files (Swagger UI,
Apache-2.0; ReDoc, MIT); they are mounted under ``/docs-assets`` and the pages point there.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, swagger_ui_default_parameters
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs-assets"
_FAVICON = "data:,"  # no icon rather than one from another host


def _assets_folder() -> Path | None:
    from importlib import resources
    from importlib.util import find_spec

    if find_spec("fastapi_offline") is None:
        return None
    folder = Path(str(resources.files("fastapi_offline") / "static"))
    return folder if (folder / "swagger-ui-bundle.js").is_file() else None


#: the pages may load only what this server serves: ReDoc's sidebar logo (an <img> from the vendor's host) is blocked
_CSP = ("default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self' 'unsafe-inline' blob:; worker-src 'self' blob:; connect-src 'self'; font-src 'self' data:; "
        "frame-ancestors 'none'")


def _offline(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = _CSP
    page.headers["X-Content-Type-Options"] = "nosniff"
    return page


_MISSING = HTMLResponse(
    "<!doctype html><title>vivid API docs</title><p>The API documentation pages need the package "
    "<code>fastapi-offline</code> (a dependency of vivid-restore): reinstall vivid-restore. The API's "
    'description is at <a href="/openapi.json">/openapi.json</a>.</p>', status_code=503)


def install_docs(app: FastAPI) -> None:
    """Add ``/docs`` and ``/redoc`` (the app must be built with ``docs_url=None, redoc_url=None``)."""
    folder = _assets_folder()
    if folder is not None:
        app.mount(ASSETS, StaticFiles(directory=folder), name="docs-assets")
    title = app.title

    @app.get("/docs", include_in_schema=False)
    def swagger() -> HTMLResponse:
        if folder is None:
            return _MISSING
        # validatorUrl None: Swagger UI would otherwise send the API description to an online validator
        return _offline(get_swagger_ui_html(openapi_url="/openapi.json", title=f"{title} API · Swagger UI",
                                   swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{ASSETS}/swagger-ui.css", swagger_favicon_url=_FAVICON,
                                   swagger_ui_parameters={**swagger_ui_default_parameters, "validatorUrl": None}))

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        if folder is None:
            return _MISSING
        return _offline(get_redoc_html(openapi_url="/openapi.json", title=f"{title} API · ReDoc",
                              redoc_js_url=f"{ASSETS}/redoc.standalone.js", redoc_favicon_url=_FAVICON,
                              with_google_fonts=False))
