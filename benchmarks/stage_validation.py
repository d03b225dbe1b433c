"""Compare weight files of one restoration model on a training config's held-out synthetic validation pairs.

Used to choose between training stages without touching the test sets (LOL, FiveK): the pairs are exactly
the ones ``vivid train CONFIG`` validates on (the config's held-out files, degradation and target settings),
and ``--exposure`` / ``--tint`` rebuild them for another stage's range, so two stages can be compared on
both ranges (``--camera-noise 0|1``: the low-light inputs' noise, independent or camera-processed;
``--mild SHARE``: vivid-dejpeg's share of clean and quality 90-100 pairs; ``--low SHARE``: its share of
the other pairs at quality 10-25). Prints the mean RGB PSNR (8-bit rounded output) of each weight file.

    .venv/bin/python benchmarks/stage_validation.py configs/lowlight/vivid_lowlight_stage4.toml \\
        OLD.safetensors checkpoints/vivid_lowlight_stage4/best.safetensors [--exposure 0.03,0.4]

(``git show COMMIT:src/vivid/zoo/weights/NAME.safetensors > OLD.safetensors`` gives an earlier shipped stage.)
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path


def _floats(text: str) -> tuple[float, ...]:
    return tuple(float(v) for v in text.split(","))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", type=Path, help="the training config whose validation pairs to use")
    parser.add_argument("weights", type=Path, nargs="+", help="safetensors files of the config's architecture")
    parser.add_argument("--exposure", type=_floats, help="low-light exposure range, e.g. 0.03,0.4")
    parser.add_argument("--tint", type=float, help="tone: green-magenta tint range in stops")
    parser.add_argument("--camera-noise", type=int, choices=(0, 1), help="low-light: camera-processed noise off/on")
    parser.add_argument("--mild", type=float, help="dejpeg: share of clean / quality 90-100 pairs (0: stage 1's)")
    parser.add_argument("--low", type=float, help="dejpeg: share of the other pairs at quality 10-25 (1: all)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)

    import torch

    from vivid.models.archs.factory import build_arch
    from vivid.train import restore_data as rd
    from vivid.train.config import load_config
    from vivid.train.loop import load_matching, validate_restore

    torch.set_num_threads(args.threads)
    cfg = load_config(args.config)
    data = cfg.data
    missing = [str(p) for p in args.weights if not p.is_file()]
    if missing:
        print(f"error: weight file not found: {', '.join(missing)}", file=sys.stderr)
        return 2
    _, val_files = rd.holdout_split(data.train_dirs, data.val_dir, data.holdout)
    given = {"tint": args.tint, "exposure": args.exposure, "mild": args.mild, "low": args.low,
             "camera": None if args.camera_noise is None else bool(args.camera_noise)}
    how = replace(rd.Degradation.of(data), **{k: v for k, v in given.items() if v is not None})
    pairs = rd.synthetic_validation_set(val_files, task=data.task, target_mean=data.target_mean, how=how)
    for path in args.weights:
        net = build_arch(cfg.model.arch, **cfg.model.arch_kwargs())
        load_matching(net, path)
        print(f"{path}: {validate_restore(net.eval(), pairs):.3f} dB on {len(pairs)} pairs", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
