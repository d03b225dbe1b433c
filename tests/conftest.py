"""Fixtures shared across the test packages."""

from __future__ import annotations

import pytest


@pytest.fixture
def int8_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """``precision="auto"`` runs every shipped int8 graph (vivid-sr x2's), as it does for a graph that passed
    vivid's gate. Since its second stage vivid-sr x2's int8 graph is opt-in (it loses 0.09 dB on Set5), so
    no shipped model runs int8 by default; the auto-int8 path is tested on it through this switch."""
    from vivid.zoo import quantize

    monkeypatch.setattr(quantize, "int8_by_default", quantize.declares_int8)
