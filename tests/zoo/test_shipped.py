"""The shipped weights: every manifest entry is registered, hash-checked and small enough to ship."""

from __future__ import annotations

from vivid.models.registry import list_models
from vivid.zoo.builtin import file_sha256, read_manifest, weights_dir


def test_manifest_files_exist_match_their_hashes_and_are_registered() -> None:
    learned = {e.name for e in list_models() if e.kind == "learned"}
    entries = read_manifest()
    assert entries
    for e in entries:
        path = weights_dir() / e.file
        assert path.is_file(), e.file
        assert file_sha256(path) == e.sha256, e.file
        assert e.name in learned, f"{e.name} has weights but no registry entry"
        assert (weights_dir().parent / "cards" / e.card).is_file(), e.card
    assert learned <= {e.name for e in entries}, "a learned registry entry without shipped weights"


def test_all_shipped_weights_together_stay_under_20_mib() -> None:
    """Issue #9: all built-in models together under 20 MiB (large ones are stored as float16)."""
    files = {weights_dir() / e.file for e in read_manifest()}
    assert sum(f.stat().st_size for f in files) < 20 * 2**20
