"""``vivid serve``: the REST API and web app (uvicorn over :func:`vivid.server.app.create_app`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (default 127.0.0.1; env VIVID_HOST).")] = None,
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="Port (default 8000; env VIVID_PORT).")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="Uploads, results and the SQLite database "
                                                       "(default ./vivid-data; env VIVID_DATA_DIR).")] = None,
    database_url: Annotated[str | None, typer.Option(help="SQLAlchemy URL, e.g. postgresql://user:pw@host/db "
                                                          "(default: SQLite in the data folder).")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Background job threads (default 1).")] = None,
    engine: Annotated[str | None, typer.Option(help="Where job items run: local (default) or ray (Ray workers; "
                                                    "pip install 'vivid-restore[ray]'; env VIVID_ENGINE).")] = None,
    ray_address: Annotated[str | None, typer.Option(help="With --engine ray: the cluster to join, HOST:PORT or auto "
                                                         "(default: a local one; env VIVID_RAY_ADDRESS).")] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    allow_public: Annotated[bool, typer.Option(help="Serve a non-loopback --host without API keys (anyone who "
                                                    "reaches it can use it; env VIVID_ALLOW_PUBLIC_WITHOUT_KEYS).")] = False,
) -> None:
    """Start the web app and REST API (docs at /docs); Ctrl+C stops it, unfinished jobs resume next time."""
    from vivid.cli.common import guarded

    guarded(_serve)(host=host, port=port, data_dir=data_dir, database_url=database_url, workers=workers,
                    log_level=log_level, allow_public=allow_public, engine=engine, ray_address=ray_address)


def _serve(*, host: str | None, port: int | None, data_dir: Path | None, database_url: str | None,
           workers: int | None, log_level: str, allow_public: bool = False, engine: str | None = None,
           ray_address: str | None = None) -> None:
    import uvicorn
    from pydantic import ValidationError

    from vivid.cli.common import out_console
    from vivid.errors import ConfigError
    from vivid.server.app import create_app
    from vivid.server.db import redact_url
    from vivid.server.settings import Settings, check_exposure

    given = {"host": host, "port": port, "data_dir": data_dir, "database_url": database_url, "workers": workers,
             "allow_public_without_keys": allow_public or None, "engine": engine, "ray_address": ray_address}
    try:
        settings = Settings(**{k: v for k, v in given.items() if v is not None})
    except ValidationError as e:
        raise ConfigError("; ".join(f"{'.'.join(map(str, err['loc']))}: {err['msg']}" for err in e.errors())) from None
    if settings.engine == "ray":  # join (or start) the cluster now: its errors are one line, not a failed startup
        from vivid.cluster.pool import connect

        connect(settings.ray_address)
    warning = check_exposure(settings)  # a public address without keys: refused unless allowed, then loud
    if warning:
        import sys

        print(warning, file=sys.stderr)
    shown_host = f"[{settings.host}]" if ":" in settings.host else settings.host
    url = f"http://{shown_host}:{settings.port}"
    out_console.print(f"vivid: serving on {url}  (API docs {url}/docs; data {settings.data_dir.resolve()}; "
                      f"database {redact_url(settings.resolved_database_url())})", highlight=False, soft_wrap=True)
    from vivid.server.slowclients import uvicorn_options

    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level=log_level,
                timeout_graceful_shutdown=10, **uvicorn_options(settings))
