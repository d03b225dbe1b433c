"""Held-out validation PSNR of SR weight files, as the training loop computes it (the number SR cards quote).

usage: python scripts/val_sr.py CONFIG WEIGHTS...

CONFIG is a training config (``configs/sr/*.toml``) whose ``[data]`` holds images out of training
(``val_dir`` with ``holdout``); WEIGHTS are shipped fused ``.safetensors`` files or a run's checkpoints of the
network that config builds. Prints one line per file: the file and its PSNR (dB, Y, 8-bit rounded, shaved).
"""

from __future__ import annotations

import sys

import torch

from vivid.errors import ConfigError, VividError
from vivid.models.archs.factory import build_arch
from vivid.train import loop
from vivid.train.config import load_config


def main(argv: list[str]) -> None:
    if len(argv) < 2:
        raise SystemExit(__doc__)
    torch.set_num_threads(1)
    cfg = load_config(argv[0])
    data = loop.sr_data(cfg, seed=0)
    for weights in argv[1:]:
        model = build_arch(cfg.model.arch, **cfg.model.arch_kwargs())
        mismatch = ConfigError(f"{weights} are not the weights of {argv[0]}'s network: give the config they were "
                               "trained with")
        try:
            copied, total = loop.load_matching(model, weights)
        except (IndexError, RuntimeError):  # fused weights of another size do not expand into this network
            raise mismatch from None
        if copied != total:  # a partial load would score another network
            raise mismatch
        print(f"{weights}: {data.validate(model):.4f} dB", flush=True)


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except VividError as e:
        raise SystemExit(f"error: {e}") from None
