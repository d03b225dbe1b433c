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


def test_a_missing_or_unreadable_manifest_is_a_clear_error_not_an_empty_list(tmp_path, monkeypatch) -> None:
    import pytest

    from vivid.errors import ModelError
    from vivid.zoo import builtin

    monkeypatch.setattr(builtin, "weights_dir", lambda: tmp_path)
    with pytest.raises(ModelError, match=r"manifest .*manifest\.json is missing: the package is incomplete"):
        read_manifest()
    with pytest.raises(ModelError, match="is missing"):  # loading a shipped model says the same
        builtin.load_builtin("vivid-sr", 2)
    for bad in ("{not json", '[{"name": "vivid-sr"}]', "{}", "[]"):
        (tmp_path / "manifest.json").write_text(bad)
        with pytest.raises(ModelError, match=r"manifest .* is unreadable \(\w+Error: .*\); reinstall vivid"):
            read_manifest()
