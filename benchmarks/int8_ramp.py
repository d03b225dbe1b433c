"""Does vivid-sr x2's int8 graph keep a smooth gradient smooth? float32 vs int8 on gray ramps, 8 and 16 bits.

Usage (from the repository root)::

    .venv/bin/python benchmarks/int8_ramp.py

Each ramp (48x256, left to right: 16-bit 10000..50000, 157 levels a column; 8-bit 0..255, one level a column)
goes through ``vivid.enhance(ramp, task="sr", scale=2)`` with ``--precision`` float32, int8 and auto (the
default). Reported, away from the borders (8 rows, 4 columns): the share of column-to-column steps of the
output that go backward (a monotone ramp should have none) and the largest deviation of the output row
from the straight line through it, in levels of the output's bit depth. Why ``auto`` is int8 only for 8-bit
inputs (:func:`vivid.zoo.quantize.input_precision`).
"""

from __future__ import annotations

import numpy as np


def main() -> int:
    import vivid
    from vivid.io.image import to_uint

    ramps = {16: np.round(np.linspace(10000, 50000, 256)).astype(np.uint16),
             8: np.round(np.linspace(0, 255, 256)).astype(np.uint8)}
    print("| input | precision | ran | backward steps | max deviation from a line (levels) |")
    print("|---|---|---|---|---|")
    for bits, ramp in ramps.items():
        for precision in ("float32", "int8", "auto"):
            res = vivid.enhance(np.tile(ramp, (48, 1)), task="sr", scale=2, precision=precision)
            out = to_uint(res.image.pixels, bits)[0].astype(np.float64)[8:-8, 4:-4]
            steps = np.diff(out, axis=1)
            x = np.arange(out.shape[1])
            line = np.polyval(np.polyfit(x, out.mean(axis=0), 1), x)
            ran = res.provenance()["steps"][0].get("precision", "float32")
            print(f"| {bits}-bit | {precision} | {ran} | {(steps < 0).mean():.1%} | {np.abs(out - line).max():.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
