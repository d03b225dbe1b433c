"""First-call latency: ``vivid enhance photo.png -o out.png`` (auto plan) in a cold process, end to end.

    python benchmarks/first_call.py [--vivid .venv/bin/vivid] [--runs 3] [--args "--task sr --scale 2"]

The photo is the bundled sample resized to 640x360. Each run is a new process with an empty
``XDG_CACHE_HOME`` (no ONNX export cached from an earlier run), so it pays for imports, model loading
and any export, as a user's first command does. Prints each run's wall time, the median and the plan.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vivid", default=str(ROOT / ".venv" / "bin" / "vivid"), help="the vivid command to time")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--args", default="", help="extra options for vivid enhance (default: the auto plan)")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        photo = Path(tmp) / "photo.png"
        Image.open(ROOT / "src/vivid/assets/sample.png").convert("RGB").resize((640, 360), Image.LANCZOS).save(photo)
        times, out = [], ""
        for i in range(a.runs):
            env = {**os.environ, "XDG_CACHE_HOME": str(Path(tmp) / f"cache{i}")}
            cmd = [a.vivid, "enhance", str(photo), "-o", str(Path(tmp) / f"out{i}.png"), *shlex.split(a.args)]
            t0 = time.perf_counter()
            run = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=tmp)
            times.append(time.perf_counter() - t0)
            if run.returncode:
                raise SystemExit(f"{' '.join(cmd)} failed ({run.returncode}):\n{run.stdout}{run.stderr}")
            out = run.stdout + run.stderr
        print(f"runs (s): {', '.join(f'{t:.2f}' for t in times)}; median {statistics.median(times):.2f} s")
        print(out.strip())


if __name__ == "__main__":
    main()
