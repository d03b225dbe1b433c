"""Published numbers (``published.json``): what papers and repositories claim, each with its source."""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from vivid.errors import ConfigError


@dataclass(frozen=True)
class PublishedNumber:
    """One published result: ``metrics`` (e.g. ``{"psnr": 33.66, "ssim": 0.9299}``) of ``method``."""

    task: str
    dataset: str
    setting: str
    method: str
    metrics: dict[str, float]
    source_key: str
    source: str
    match: tuple[str, ...] = field(default_factory=tuple)
    note: str | None = None

    def matches(self, model_name: str) -> bool:
        name = model_name.lower()
        return any(fnmatch.fnmatchcase(name, p.lower()) for p in self.match)


@lru_cache(maxsize=1)
def load_published() -> tuple[PublishedNumber, ...]:
    """Every entry of the packaged ``published.json`` (read once, when first asked for)."""
    text = (resources.files("vivid.bench") / "published.json").read_text(encoding="utf-8")
    doc = json.loads(text)
    sources = doc["sources"]
    out = []
    for e in doc["entries"]:
        if e["source"] not in sources:
            raise ConfigError(
                f"published.json: entry {e['method']!r} names an unknown source {e['source']!r}"
            )
        out.append(
            PublishedNumber(
                task=e["task"],
                dataset=e["dataset"],
                setting=e["setting"],
                method=e["method"],
                metrics={k: float(v) for k, v in e["metrics"].items()},
                source_key=e["source"],
                source=sources[e["source"]],
                match=tuple(e.get("match", ())),
                note=e.get("note"),
            )
        )
    return tuple(out)


def published_for(task: str, dataset: str, setting: str) -> tuple[PublishedNumber, ...]:
    """Entries for one task, dataset (case-insensitive name) and setting (``x2``, ``sigma25``, ``pairs``)."""
    d = dataset.lower()
    return tuple(
        p for p in load_published() if p.task == task and p.dataset.lower() == d and p.setting == setting
    )


def match_model(task: str, dataset: str, setting: str, model_name: str) -> PublishedNumber | None:
    """The published number for exactly this model on this dataset and setting, if one is known."""
    for p in published_for(task, dataset, setting):
        if p.matches(model_name):
            return p
    return None
