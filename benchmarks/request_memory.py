"""Peak server memory of the largest requests the default limits allow, and of requests they refuse.

Each case gets a fresh ``vivid serve`` (default settings, SQLite, loopback). A small warm-up request with
the same options loads the models first; then the case's request is sent alone and the server's peak RSS
(VmHWM) is compared with its RSS just before. The service's memory budget (``memory_budget_mb``, default
1536) is meant to bound that difference; refused requests must cost next to nothing.

    python benchmarks/request_memory.py            # all cases
    python benchmarks/request_memory.py --only bomb,plan
"""

from __future__ import annotations

import argparse
import io
import json
import struct
import sys
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_test import Server, _status  # noqa: E402


def png(w: int, h: int) -> bytes:
    """A smooth RGB PNG (compresses well, so big images stay small files)."""
    import numpy as np
    from PIL import Image

    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    rgb = np.stack([128 + 100 * np.sin(xx / 37), 128 + 90 * np.cos(yy / 29), 128 + 60 * np.sin((xx + yy) / 53)], -1)
    buf = io.BytesIO()
    Image.fromarray(rgb.astype(np.uint8)).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def bomb(w: int, h: int) -> bytes:
    """A flat PNG of w x h made by hand (the reviewer's 291 kB, 99.8 MP file for 9990 x 9990)."""
    def chunk(t: bytes, d: bytes) -> bytes:
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))

    co = zlib.compressobj(9)
    z = b"".join(co.compress(b"\0" * (1 + 3 * w)) for _ in range(h)) + co.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", z)
            + chunk(b"IEND", b""))


X8 = json.dumps({"steps": [{"task": "sr", "model": "bicubic", "scale": 8}] * 3})
#: name → (endpoint, form fields, image size (w, h) or "bomb")
CASES = {
    "bicubic-14mp": ("/v1/enhance", {"task": "sr", "model": "bicubic", "size": "3800x3800"}, (2000, 2000)),
    "sr-x2": ("/v1/enhance", {"task": "sr", "model": "vivid-sr", "scale": "2"}, (1900, 1900)),
    "lowlight-4mp": ("/v1/enhance", {"task": "lowlight", "model": "vivid-lowlight"}, (2000, 2000)),
    "analyze-40mp": ("/v1/analyze", {}, (7300, 5500)),
    "denoise-job-6mp": ("/v1/jobs", {"task": "denoise", "model": "vivid-denoise"}, (3000, 2000)),
    "stream-job-48mp": ("/v1/jobs", {"task": "sr", "model": "vivid-sr", "scale": "2"}, (4000, 3000)),
    "bomb": ("/v1/enhance", {}, "bomb"),
    "bomb-analyze": ("/v1/analyze", {}, "bomb"),
    "plan": ("/v1/enhance", {"plan": X8}, (64, 48)),
    "size": ("/v1/enhance", {"task": "sr", "model": "bicubic", "size": "6000x6000"}, (64, 48)),
}


def run_case(name: str) -> dict:
    import httpx

    path, fields, size = CASES[name]
    data = bomb(9990, 9990) if size == "bomb" else png(*size)
    field = "files" if path == "/v1/jobs" else "image"
    with Server({}) as server, httpx.Client(base_url=server.url, timeout=600) as client:
        warm = {k: v for k, v in fields.items() if k not in ("size", "plan")}  # loads the models, costs little
        client.post(path, data=warm, files={field: ("warm.png", png(64, 48), "image/png")})
        if path == "/v1/jobs":  # let the warm-up job finish (it loads the model)
            while client.get("/v1/jobs", params={"status": "queued"}).json()["total"] or \
                    client.get("/v1/jobs", params={"status": "running"}).json()["total"]:
                time.sleep(0.2)
        before = _status(server.proc.pid, "VmRSS")
        hwm_before = _status(server.proc.pid, "VmHWM")
        t0 = time.perf_counter()
        r = client.post(path, data=fields, files={field: (f"{name}.png", data, "image/png")})
        status = r.status_code
        if status == 202:
            job_id = r.json()["id"]
            while (j := client.get(f"/v1/jobs/{job_id}").json())["status"] in ("queued", "running"):
                time.sleep(0.2)
            status = f"202→{j['status']}"
        seconds = time.perf_counter() - t0
        hwm = _status(server.proc.pid, "VmHWM")
        message = r.json().get("error", {}).get("message", "") if r.status_code >= 400 else ""
    return {"case": name, "file_kb": len(data) / 1024, "status": status, "seconds": seconds,
            "rss_before_mb": before / 1024, "peak_mb": hwm / 1024,
            "request_mb": (hwm - before) / 1024 if hwm > hwm_before else 0.0, "message": message}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", default=",".join(CASES))
    args = ap.parse_args()
    rows = []
    for name in args.only.split(","):
        rows.append(run_case(name))
        print(f"  {name}: {rows[-1]['status']}", file=sys.stderr, flush=True)
    print("\n| case | file kB | answer | s | RSS before MB | peak (VmHWM) MB | peak - before MB | message |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['case']} | {r['file_kb']:.0f} | {r['status']} | {r['seconds']:.1f} | {r['rss_before_mb']:.0f} "
              f"| {r['peak_mb']:.0f} | {r['request_mb']:.0f} | {r['message'][:110]} |")


if __name__ == "__main__":
    main()
