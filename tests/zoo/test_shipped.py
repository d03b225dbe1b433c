"""The shipped weights: every learned registry entry has its files, hash-checked, and they are small enough to ship."""

from __future__ import annotations

import pytest

from vivid.errors import ModelError
from vivid.models.registry import list_models
from vivid.zoo import builtin
from vivid.zoo.builtin import file_sha256, read_index, shipped_weights, weights_dir


def test_every_learned_entry_has_its_weights_with_their_hash_and_its_card() -> None:
    learned = [e for e in list_models() if e.kind == "learned"]
    weights = shipped_weights()
    assert learned and {(w.name, w.scale) for w in weights} == {(e.name, s) for e in learned for s in e.scales}
    for w in weights:
        path = weights_dir() / w.file
        assert path.is_file(), w.file
        assert file_sha256(path) == w.sha256, w.file
        assert (weights_dir().parent / "cards" / w.entry.card).is_file(), w.entry.card
    shipped = {p.name for p in weights_dir().glob("*.safetensors")}
    assert shipped == {w.file for w in weights}, "a weight file no registry entry declares"


def test_all_shipped_weights_together_stay_under_20_mib() -> None:
    """Issue #9: all built-in models together under 20 MiB (large ones are stored as float16)."""
    files = {weights_dir() / w.file for w in shipped_weights()}
    assert sum(f.stat().st_size for f in files) < 20 * 2**20


def test_a_missing_or_unreadable_index_is_a_clear_error_not_an_empty_list(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(builtin, "weights_dir", lambda: tmp_path)
    with pytest.raises(ModelError, match=r"weights index .*onnx\.json is missing: the package is incomplete"):
        read_index()
    with pytest.raises(ModelError, match="is missing"):  # loading a shipped model says the same
        builtin.load_builtin("vivid-sr", 2)
    for bad in ("{not json", '[{"name": "vivid-sr"}]', '{"vivid-sr_x2.safetensors": 3}'):
        (tmp_path / "onnx.json").write_text(bad)
        with pytest.raises(ModelError, match=r"weights index .* is unreadable \(.*\); reinstall vivid"):
            read_index()
    (tmp_path / "onnx.json").write_text("{}")
    with pytest.raises(ModelError, match=r"no shipped weights for vivid-sr x2: the package may be incomplete"):
        shipped_weights()
