"""The machine a benchmark ran on (EVAL.md: report the ``lscpu`` model and the cores)."""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass


@dataclass(frozen=True)
class Machine:
    cpu_model: str
    logical_cores: int
    usable_cores: int
    system: str
    python: str

    def line(self) -> str:
        """``"Machine: <cpu>, <n> logical cores (<k> usable by this process), Linux-..., Python 3.11.x"``."""
        return (
            f"Machine: {self.cpu_model}, {self.logical_cores} logical cores "
            f"({self.usable_cores} usable by this process), {self.system}, Python {self.python}"
        )


def _lscpu_model() -> str | None:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for line in out.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "Model name" and value.strip():
            return value.strip()
    return None


def _cpuinfo_model() -> str | None:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.partition(":")[2].strip()
    except OSError:
        return None
    return None


def describe_machine() -> Machine:
    """CPU model (``lscpu``'s "Model name", else /proc/cpuinfo), core counts, OS and Python."""
    model = _lscpu_model() or _cpuinfo_model() or platform.processor() or "unknown CPU"
    logical = os.cpu_count() or 1
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - non-Linux
        usable = logical
    return Machine(model, logical, usable, platform.platform(terse=True), platform.python_version())
