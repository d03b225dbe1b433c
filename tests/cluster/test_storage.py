"""Locations (paths and fsspec URLs): listing, canonical names, atomic writes, and their errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from vivid.cluster import storage
from vivid.errors import ConfigError, InputError, OutputError
from vivid.io.formats import is_image_path

pytest.importorskip("fsspec")


@pytest.mark.parametrize("typed,location", [
    (Path("s3://bucket/photos"), "s3://bucket/photos"),  # Path folds '//' into '/'
    (Path("memory://in/a.png"), "memory://in/a.png"),
    (Path("file:///tmp/x"), "/tmp/x"),
    (Path("photos/a.png"), "photos/a.png"),
    (Path("C:/photos"), "C:/photos"),  # a drive letter is not a scheme
])
def test_locations_typed_on_the_command_line(typed: Path, location: str) -> None:
    assert storage.from_cli_path(typed) == location


def test_listing_a_folder_keeps_images_and_skips_hidden_parts(memfs) -> None:  # noqa: ANN001
    for name in ("in/a.png", "in/sub/b.jpg", "in/notes.txt", "in/.vivid-parts/x.png", "in/.hidden.png"):
        memfs.pipe_file(name, b"x")
    found = storage.list_files("memory://in", recursive=True, keep=is_image_path)
    assert [(e.location, e.relative) for e in found] == [("memory:///in/a.png", "a.png"),
                                                        ("memory:///in/sub/b.jpg", "sub/b.jpg")]
    assert [e.relative for e in storage.list_files("memory://in", recursive=False, keep=is_image_path)] == ["a.png"]
    (one,) = storage.list_files("memory://in/a.png", recursive=True, keep=is_image_path)
    assert (one.relative, one.fingerprint.split(":")[0]) == ("", "1")
    assert storage.canonical("memory://in/a.png") == one.location == "memory:///in/a.png"


def test_publish_moves_a_finished_file_into_place_and_leaves_no_part(memfs, tmp_path: Path) -> None:  # noqa: ANN001
    local = tmp_path / "x.png"
    local.write_bytes(b"pixels")
    storage.publish(str(local), "memory://out/sub/x.png", parts="memory://out/.vivid-parts")
    assert memfs.cat_file("/out/sub/x.png") == b"pixels"
    assert memfs.ls("/out/.vivid-parts") == []
    storage.remove_parts("memory://out/.vivid-parts")
    assert not memfs.exists("/out/.vivid-parts")


def test_a_failed_upload_leaves_nothing_under_the_final_name(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    from fsspec.implementations.local import LocalFileSystem

    local = tmp_path / "x.png"
    local.write_bytes(b"pixels")
    out = tmp_path / "out"

    def broken(self, lpath, rpath, **kw):  # noqa: ANN001, ANN003, ANN202
        Path(rpath).write_bytes(b"pix")  # half of it, then the disk fills
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(LocalFileSystem, "put_file", broken)
    with pytest.raises(OutputError, match=r"cannot write .*x\.png \(.*No space left on device\): check"):
        storage.publish(str(local), str(out / "x.png"), parts=str(out / storage.PARTS))
    assert not (out / "x.png").exists() and list((out / storage.PARTS).iterdir()) == []


def test_unreadable_locations_are_one_line_errors(memfs) -> None:  # noqa: ANN001
    with pytest.raises(InputError, match=r"input memory://nothing/here does not exist"):
        storage.list_files("memory://nothing/here", recursive=True, keep=is_image_path)
    with pytest.raises(ConfigError, match=r"cannot open nosuch://b/k: Protocol not known: nosuch \(install the "
                                          r"filesystem package for this URL on every node\)"):
        storage.filesystem("nosuch://b/k")
