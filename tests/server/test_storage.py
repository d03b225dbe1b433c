"""Storage pieces: migrations match the records, generated file names, sniffing, name sanitising, settings."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.server.support import png_bytes
from vivid.errors import InputError
from vivid.server.media import display_name, download_name, sniff
from vivid.server.settings import Settings
from vivid.server.store import Store


def test_migrations_create_exactly_the_records_schema(settings) -> None:  # noqa: ANN001
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from vivid.server.db import Database, migrate
    from vivid.server.records import Base

    db = Database(settings.resolved_database_url())
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrate(db.engine)
    migrate(db.engine)  # idempotent: already at head
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert MigrationContext.configure(conn).get_current_revision() == "0003"
    db.close()
    assert diff == []


def test_upload_names_are_time_plus_hash(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.prepare()
    when = datetime(2026, 11, 22, 5, 43, 1, tzinfo=UTC)
    rel, sha = store.save_upload(b"abc", ext="png", when=when)
    assert rel == f"uploads/2026/11/22/20261122T054301Z_{sha[:16]}.png"
    assert sha == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"  # sha256("abc")
    assert (tmp_path / rel).read_bytes() == b"abc"
    assert store.save_upload(b"abc", ext="png", when=when) == (rel, sha)  # same content, same second: same file
    with pytest.raises(InputError):
        store.path("../outside.png")



def test_sweep_removes_orphans_of_crashed_writes(tmp_path: Path) -> None:
    import os
    import time

    store = Store(tmp_path)
    store.prepare()
    day = tmp_path / "uploads" / "2026" / "12" / "06"
    day.mkdir(parents=True)
    res = tmp_path / "results" / "2026" / "12" / "06"
    res.mkdir(parents=True)
    old = [tmp_path / "tmp" / "left-over.part", day / ".20261206T194720Z_9c38441be5fe1e47.png.5yim1d99.tmp",
           res / ".job1_0.png.abcd.tmp", tmp_path / "thumbs" / ".x.jpg.q.tmp"]
    young = [tmp_path / "tmp" / "being-written.zip", res / ".job2_0.png.efgh.tmp"]
    kept = [day / "20261206T194720Z_9c38441be5fe1e47.png", res / "job1_0.png"]
    for p in old + young + kept:
        p.write_bytes(b"x")
    for p in old + kept:
        os.utime(p, (time.time() - 3600, time.time() - 3600))
    for job in ("deadjob", "livejob"):
        (res / f".{job}_0.mp4.vivid-work").mkdir()
        (res / f".{job}_0.mp4.vivid-work" / "seg-00000.mkv").write_bytes(b"x")
    assert store.sweep(min_age=60, keep_work=lambda job_id: job_id == "livejob") == len(old) + 1
    assert not any(p.exists() for p in old) and all(p.exists() for p in young + kept)
    assert not (res / ".deadjob_0.mp4.vivid-work").exists() and (res / ".livejob_0.mp4.vivid-work").is_dir()


@pytest.mark.parametrize("data,expected", [
    (png_bytes(fmt="png"), ("image", "png")),
    (png_bytes(fmt="jpeg"), ("image", "jpeg")),
    (png_bytes(fmt="webp"), ("image", "webp")),
    (png_bytes(fmt="tiff"), ("image", "tiff")),
    (png_bytes(fmt="bmp"), ("image", "bmp")),
    (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2", ("video", "mp4")),
    (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  ", ("video", "mov")),
    (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", ("video", "webm")),
])
def test_sniffing_uses_content_not_names(data: bytes, expected: tuple[str, str]) -> None:
    assert sniff(data) == expected


def test_sniffing_refuses_other_files() -> None:
    from vivid.server.errors import UnsupportedMediaError

    for data in (b"GIF89a....", b"%PDF-1.7", b"<svg xmlns='http://www.w3.org/2000/svg'/>", b""):
        with pytest.raises(UnsupportedMediaError):
            sniff(data)


@pytest.mark.parametrize("name,shown,download", [
    ("holiday.jpg", "holiday.jpg", "holiday_vivid.png"),
    ("../../etc/passwd", "passwd", "passwd_vivid.png"),
    ("C:\\Users\\me\\Été 2024.png", "Été 2024.png", "Ete_2024_vivid.png"),
    ("a\x00b\r\nc.png", "abc.png", "abc_vivid.png"),
    ("...", "upload", "upload_vivid.png"),
    ("", "upload", "upload_vivid.png"),
    ('x"; rm -rf ~.png', 'x"; rm -rf ~.png', "x_rm_-rf_vivid.png"),
])
def test_client_file_names_are_sanitised(name: str, shown: str, download: str) -> None:
    assert display_name(name) == shown
    assert download_name(display_name(name), suffix="_vivid", ext="png") == download
    assert "/" not in display_name(name) and "\\" not in display_name(name)


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VIVID_API_KEYS", "k1, k2,")
    monkeypatch.setenv("VIVID_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("VIVID_WORKERS", "2")
    s = Settings()
    assert s.api_keys == ["k1", "k2"] and s.workers == 2 and s.data_dir == tmp_path
    assert s.resolved_database_url() == f"sqlite:///{tmp_path.resolve()}/vivid.db"
    assert (s.host, s.port) == ("127.0.0.1", 8000)
    pg = Settings(database_url="postgresql://u:p@db:5432/vivid")
    assert pg.resolved_database_url() == "postgresql+psycopg://u:p@db:5432/vivid"
    monkeypatch.setenv("VIVID_API_KEYS", '["j1","j2"]')
    assert Settings().api_keys == ["j1", "j2"]  # a JSON list works too
