"""ONNX Runtime session options per shipped model, chosen by measurement.

``benchmarks/ort_options.py`` times every shipped model's engine step at 854x480 under each combination of
intra-op threads (1, or all usable cores), spinning (off, on) and graph optimisation level (basic, extended,
all), round-robin so that load from other processes hits every combination alike, and prints the fastest
per model. :data:`TUNED` holds what it chose (its output is quoted in the README, "Runtimes"); a model not
listed gets :class:`~vivid.zoo.onnx_files.SessionTuning`'s defaults (all usable cores, no spinning, all
optimisations).
"""

from __future__ import annotations

from vivid.zoo.onnx_files import SessionTuning

#: model name -> session options (see the module docstring); filled from benchmarks/ort_options.py
TUNED: dict[str, SessionTuning] = {}


def tuning_for(name: str) -> SessionTuning:
    """The measured session options of shipped model ``name`` (the defaults when it was not measured)."""
    return TUNED.get(name, SessionTuning())
