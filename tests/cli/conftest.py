"""CLI tests never read or write the real user's model folder."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def own_models_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path_factory.mktemp("user-models")
    monkeypatch.setenv("VIVID_MODELS_DIR", str(folder))
    return folder
