"""ONNX Runtime session options per shipped model, chosen by measurement and declared in the registry.

``benchmarks/ort_options.py`` times every shipped model's engine step at 854x480, as ``vivid enhance`` runs it
(precision auto: vivid-sr x2's int8 graph), under each combination of intra-op threads (1, or all usable
cores), spinning (off, on) and graph optimisation level (basic, extended, all), round-robin so that load from
other processes hits every combination alike, and prints the choice per model. The choice is declared in the
model's registry entry (:attr:`vivid.models.registry.Network.ort`; its output is quoted in the README,
"Runtimes"); a model that declares none gets :class:`~vivid.models.registry.SessionTuning`'s defaults (all
usable cores, no spinning, all optimisations).
"""

from __future__ import annotations

from vivid.errors import ModelError
from vivid.models.registry import SessionTuning, get_entry


def tuning_for(name: str) -> SessionTuning:
    """The measured session options of shipped model ``name`` (the defaults when it declares none or is not a
    registry network)."""
    try:
        network = get_entry(name).network
    except ModelError:
        return SessionTuning()
    return network.ort if network is not None else SessionTuning()
