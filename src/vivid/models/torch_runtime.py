"""Run a torch ``nn.Module`` behind the :class:`Restorer` interface (CPU, fp32 or bf16)."""

from __future__ import annotations

import copy
import os

import numpy as np

from vivid.errors import ModelError
from vivid.models.base import ModelDescriptor, Restorer


def default_threads() -> int:
    """Threads for inference: all cores this process may use (overridable by VIVID_THREADS)."""
    env = os.environ.get("VIVID_THREADS")
    if env and env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - non-Linux
        return max(1, os.cpu_count() or 1)


class TorchRestorer(Restorer):
    """A torch module ``(N, C, H, W) -> (N, C', H*s, W*s)`` on the CPU.

    Args:
        module: the network (set to eval mode here).
        descriptor: its contract with the engine.
        dtype: ``"float32"`` or ``"bfloat16"`` (only if listed in ``descriptor.dtypes``); bfloat16 runs
            the module under ``torch.autocast`` (convolutions in bfloat16, results back in float32).
    """

    #: subclasses whose forward pass ignores ``dtype`` say so here (their descriptor lists float32 only)
    float32_only = False

    def __init__(self, module, descriptor: ModelDescriptor, *, dtype: str = "float32") -> None:  # noqa: ANN001
        import torch

        if dtype not in descriptor.dtypes:
            raise ModelError(f"model {descriptor.name!r} does not support dtype {dtype}: it supports {descriptor.dtypes}")
        self.module = module.eval()
        self.descriptor = descriptor
        self.dtype = dtype
        self._torch = torch
        torch.set_num_threads(default_threads())

    def with_dtype(self, dtype: str) -> Restorer:
        if dtype == self.dtype:
            return self
        if dtype not in self.descriptor.dtypes:
            return super().with_dtype(dtype)
        other = copy.copy(self)
        other.dtype = dtype
        return other

    def __call__(self, batch: np.ndarray, *, size: tuple[int, int] | None = None) -> np.ndarray:
        torch = self._torch
        x = torch.from_numpy(np.ascontiguousarray(batch, dtype=np.float32))
        with torch.inference_mode():
            if self.dtype == "bfloat16":
                with torch.autocast("cpu", dtype=torch.bfloat16):
                    y = self.module(x)
                y = y.float()
            else:
                y = self.module(x)
        return y.numpy()
