"""ONNX Runtime session options per model: declared in the registry entry (Network.ort), read by tuning_for,
and applied to every session of the model's shipped graphs, float32 and int8."""

from __future__ import annotations

from dataclasses import replace

import pytest

from vivid.models.registry import SessionTuning, get_entry, list_models
from vivid.zoo import ort_tuning


def test_models_without_a_declaration_get_vivids_defaults() -> None:
    assert ort_tuning.tuning_for("bicubic") == SessionTuning()  # classical: no ONNX graph, no options
    assert ort_tuning.tuning_for("no-such-model") == SessionTuning()
    for e in list_models():
        if e.network is not None:
            assert ort_tuning.tuning_for(e.name) == e.network.ort


def test_a_declared_tuning_reaches_every_session(monkeypatch: pytest.MonkeyPatch) -> None:
    from vivid.zoo.onnx_files import make_session
    from vivid.zoo.quantize import load_int8
    from vivid.zoo.shipped_onnx import load_shipped_onnx

    declared = SessionTuning(threads=1, spin=True, level="extended")
    entry = get_entry("vivid-sr")
    tuned = replace(entry, network=replace(entry.network, ort=declared))
    monkeypatch.setattr(ort_tuning, "get_entry", lambda name: tuned if name == "vivid-sr" else get_entry(name))
    assert ort_tuning.tuning_for("vivid-sr") == declared
    seen: list[SessionTuning] = []

    def factory(path, tuning):  # noqa: ANN001, ANN202
        seen.append(tuning)
        return make_session(path, tuning)

    load_shipped_onnx("vivid-sr", 3, session_factory=factory)
    assert seen == [declared]
    made: list[SessionTuning] = []
    import vivid.zoo.quantize as quantize

    monkeypatch.setattr(quantize, "make_session", lambda path, tuning: made.append(tuning) or make_session(path, tuning))
    assert load_int8("vivid-sr", 2).precision == "int8" and made == [declared]


def test_an_unknown_optimisation_level_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown graph optimisation level 'max'"):
        SessionTuning(level="max")
