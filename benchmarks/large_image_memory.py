"""Peak memory and time of a very large x2 enhancement through the bounded-memory file path.

Usage (from the repository root)::

    .venv/bin/python benchmarks/large_image_memory.py                       # 8000x8000, vivid-sr-fast x2
    .venv/bin/python benchmarks/large_image_memory.py --model bicubic       # the classical reference
    .venv/bin/python benchmarks/large_image_memory.py --input photo.png --model vivid-sr

Without ``--input`` an image-like 8000x8000 RGB PNG (gradients, edges, mild noise) is made first, in its
own process. The enhancement runs in a fresh child process: ``vivid.engine.stream.enhance_file(src,
dst, task="sr", scale=2, stream=True)``, i.e. uint8 input, float32 tiles, strips streamed into the PNG
encoder. Its peak resident memory is read two ways: ``ru_maxrss`` of that one child (``os.wait4``), and
the child's own ``VmHWM``; this parent imports nothing large, so the kernel's carry-over of the
parent's peak across ``exec`` cannot inflate the first. Target (issue 3): peak RSS under 3 GiB.
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GIB = 1 << 30
TARGET_BYTES = 3 * GIB

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
from vivid.engine.stream import enhance_file
src, dst, model, scale, tile = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
t1 = time.perf_counter()
res = enhance_file(src, dst, task="sr", model=model, scale=scale, stream=True,
                   tile=int(tile) if tile != "auto" else None, max_pixels=None)
t2 = time.perf_counter()
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(json.dumps({"streamed": res.streamed, "import_s": t1 - t0, "enhance_s": t2 - t1,
                  "vm_hwm_kib": hwm, "provenance": res.provenance()}))
"""

MAKE = r"""
import sys
import cv2
import numpy as np
path, side = sys.argv[1], int(sys.argv[2])
img = np.empty((side, side, 3), np.uint8)
rng = np.random.default_rng(0)
xx = np.arange(side, dtype=np.float32)[None, :]
for y0 in range(0, side, 500):  # 500 rows at a time: float temporaries stay small
    yy = np.arange(y0, min(side, y0 + 500), dtype=np.float32)[:, None]
    base = 0.5 + 0.3 * np.sin(xx / 7.0) * np.cos(yy / 11.0) + 0.15 * (((yy // 24) + (xx // 24)) % 2)
    base = base + 0.1 * np.sin(xx / 900.0 + yy / 700.0)
    for c in range(3):
        plane = base * (0.75 + 0.1 * c) + rng.normal(0.0, 0.02, base.shape).astype(np.float32)
        img[y0 : y0 + len(yy), :, 2 - c] = np.clip(np.rint(plane * 255), 0, 255).astype(np.uint8)
if not cv2.imwrite(path, img, [cv2.IMWRITE_PNG_COMPRESSION, 1]):
    sys.exit(f"cannot write {path}")
"""


def png_facts(path: Path) -> tuple[int, int, int, int, str | None]:
    """Width, height, bit depth, colour type and the ``vivid`` text of a PNG, without decoding pixels."""
    width = height = depth = color = 0
    text = None
    with path.open("rb") as f:
        f.seek(8)
        while True:
            head = f.read(8)
            if len(head) < 8:
                break
            length, kind = struct.unpack(">I4s", head)
            if kind == b"IHDR":
                width, height, depth, color = struct.unpack(">IIBB", f.read(10))
                f.seek(length - 10 + 4, 1)
            elif kind == b"iTXt":
                data = f.read(length)
                f.seek(4, 1)
                key, _, rest = data.partition(b"\0")
                if key == b"vivid":
                    raw = rest[2:].split(b"\0", 2)[2]  # flag, method, language \0 translated \0 text
                    text = (__import__("zlib").decompress(raw) if rest[0] else raw).decode("utf-8")
            else:
                f.seek(length + 4, 1)
            if kind == b"IEND":
                break
    return width, height, depth, color, text


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--input", type=Path, help="image to enlarge (default: make an image-like PNG)")
    ap.add_argument("--side", type=int, default=8000, help="side of the made image (default 8000)")
    ap.add_argument("--model", default="vivid-sr-fast", help="SR model (default vivid-sr-fast)")
    ap.add_argument("--scale", type=int, default=2)
    ap.add_argument("--tile", default="auto", help="tile side in input pixels (default: the file path's choice)")
    ap.add_argument("--workdir", type=Path, help="folder for the made input and the output (default: a temp dir)")
    args = ap.parse_args()

    work = args.workdir or Path(tempfile.mkdtemp(prefix="vivid-large-"))
    work.mkdir(parents=True, exist_ok=True)
    python = sys.executable
    src = args.input
    if src is None:
        src = work / f"synthetic_{args.side}.png"
        if not src.exists():
            t = time.perf_counter()
            subprocess.run([python, "-c", MAKE, str(src), str(args.side)], check=True)
            print(f"made {src} ({src.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.0f} s", flush=True)
    dst = work / f"{src.stem}_{args.model}_x{args.scale}.png"
    dst.unlink(missing_ok=True)

    load = os.getloadavg()
    t = time.perf_counter()
    child = subprocess.Popen(
        [python, "-c", CHILD, str(src), str(dst), args.model, str(args.scale), args.tile],
        stdout=subprocess.PIPE, text=True,
    )
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - t
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        print(f"child failed with exit code {child.returncode}", file=sys.stderr)
        return 1
    report = json.loads(out.strip().splitlines()[-1])
    width, height, depth, color, text = png_facts(dst)
    peak = usage.ru_maxrss * 1024  # KiB on Linux
    cores = len(os.sched_getaffinity(0))
    print(f"input: {src.name}, {dst.stat().st_size / 1e6:.0f} MB output {width}x{height} "
          f"({depth}-bit, colour type {color}), model {args.model} x{args.scale}, streamed={report['streamed']}")
    print(f"machine: {cores} cores, load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} at the start")
    print(f"wall time (child process, start to exit): {wall:.1f} s; enhance_file: {report['enhance_s']:.1f} s "
          f"(imports {report['import_s']:.1f} s)")
    print(f"peak RSS: ru_maxrss {peak / GIB:.2f} GiB ({peak / 2**20:.0f} MiB), "
          f"VmHWM {report['vm_hwm_kib'] / 2**20:.2f} GiB; target < 3 GiB: "
          f"{'met' if max(peak, report['vm_hwm_kib'] * 1024) < TARGET_BYTES else 'NOT met'}")
    print(f"provenance in the output: {text}")
    if args.workdir is None:
        dst.unlink(missing_ok=True)
        if args.input is None:
            src.unlink(missing_ok=True)
        work.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main())
