"""A plan is data: which tasks run, with which models, in which order, and why."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Step:
    """One enhancement step."""

    task: str
    model: str
    scale: int = 1
    reason: str = ""
    #: other models that could do this step (seed 000's "Another Model", generalised)
    alternatives: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    """An ordered list of steps plus the analysis that led to it."""

    steps: tuple[Step, ...]
    analysis: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Plan:
        steps = tuple(
            Step(**{**s, "alternatives": tuple(s.get("alternatives", ()))}) for s in d.get("steps", ())
        )
        return cls(steps=steps, analysis=dict(d.get("analysis", {})), notes=tuple(d.get("notes", ())))

    def explain(self) -> list[str]:
        """Human lines, one per step."""
        if not self.steps:
            said = "; ".join(self.notes) or "the image looks fine"
            return [said if "nothing to do" in said else "nothing to do: " + said]  # said once
        return [
            f"{i + 1}. {s.task} with {s.model}" + (f" x{s.scale}" if s.scale != 1 else "") + f": {s.reason}"
            for i, s in enumerate(self.steps)
        ]


def step_names(plan: Plan) -> tuple[list[str], list[str]]:
    """``(["denoise", "sr x2"], ["vivid-denoise", "vivid-sr"])`` for a plan (batch reports, manifests)."""
    steps = [s.task + (f" x{s.scale}" if s.scale != 1 else "") for s in plan.steps]
    return steps, [s.model for s in plan.steps]
