"""Fixtures for the service tests: an app per test on SQLite (tmp data dir) and, when
``VIVID_TEST_POSTGRES_URL`` is set, the same tests on PostgreSQL (each test in its own schema)."""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

with warnings.catch_warnings():  # starlette announces a future move away from httpx; nothing to do here
    warnings.filterwarnings("ignore", message=".*httpx.*starlette.testclient.*")
    from fastapi.testclient import TestClient

from tests.server.support import LiveServer  # noqa: E402
from vivid.server.app import create_app  # noqa: E402
from vivid.server.settings import Settings  # noqa: E402

PG_ENV = "VIVID_TEST_POSTGRES_URL"


def _pg_schema_url(base: str) -> tuple[str, str]:
    """A URL whose connections use a fresh schema (so PostgreSQL tests never see each other's rows)."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}", schema


def _pg_admin(base: str):  # noqa: ANN202
    from sqlalchemy import create_engine

    from vivid.server.settings import Settings as S

    return create_engine(S(database_url=base).resolved_database_url(), isolation_level="AUTOCOMMIT")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str | None]:
    """None (SQLite in the data dir) or a PostgreSQL URL with a private schema."""
    if request.param == "sqlite":
        yield None
        return
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set (run .ci/postgres.sh to get a local server)")
    from sqlalchemy import text

    url, schema = _pg_schema_url(base)
    admin = _pg_admin(base)
    with admin.connect() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield url
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url, workers=1, max_upload_mb=4,
                    max_pixels=2_000_000, sync_max_pixels=200_000,
                    allowed_hosts=["testserver", "localhost", "127.0.0.1", "::1"])  # TestClient's Host: testserver


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture
def live_server(settings: Settings) -> Iterator[LiveServer]:
    with LiveServer(settings) as server:
        yield server
