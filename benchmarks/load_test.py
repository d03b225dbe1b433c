"""Load test of ``vivid serve``: closed-loop clients against the synchronous and the job endpoint.

For each endpoint and number of clients a fresh server (its own data folder, SQLite, default limits
unless given) is started on a loopback port; every client sends a request, waits for the answer and
sends the next one (after 0.5 s when the answer was 429/503, as a polite client would). Printed per level:
requests/s, p50/p99 latency of all answers, the share of 429 and 503 answers, other errors, the server's
peak RSS (VmHWM of the process) and how many jobs were still queued at the end.

    python benchmarks/load_test.py                      # 5/10/20 clients, 20 s each, enhance and jobs
    python benchmarks/load_test.py --seconds 30 --clients 5,10,20 --endpoints jobs --env VIVID_WORKERS=2

Client and server share the machine: on a small one the client's own CPU use lowers the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _png() -> bytes:
    import numpy as np
    from PIL import Image

    yy, xx = np.mgrid[0:96, 0:128]
    rgb = np.stack([(xx * 2) % 256, (yy * 2) % 256, (xx + yy) % 256], -1).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="PNG")
    return buf.getvalue()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _status(pid: int, key: str) -> int:
    """A ``/proc/<pid>/status`` memory figure in kB (VmRSS, VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


class Server:
    def __init__(self, env: dict[str, str]) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.tmp = tempfile.TemporaryDirectory(prefix="vivid-load-")
        self.env = {**os.environ, "VIVID_DATA_DIR": str(Path(self.tmp.name) / "data"), **env}
        if "VIVID_API_KEYS" not in env:
            self.env.pop("VIVID_API_KEYS", None)

    def __enter__(self) -> Server:
        import httpx

        self.proc = subprocess.Popen([sys.executable, "-m", "vivid.cli.main", "serve", "--port", str(self.port),
                                      "--log-level", "warning"], env=self.env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("the server did not start")
            time.sleep(0.2)

    def __exit__(self, *exc: object) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.tmp.cleanup()


async def _client(url: str, endpoint: str, image: bytes, stop: float, out: list[tuple[int, float]]) -> None:
    import httpx

    data = {"task": "sr", "model": "vivid-sr", "scale": "2"}
    path, field = ("/v1/enhance", "image") if endpoint == "enhance" else ("/v1/jobs", "files")
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            try:
                r = await client.post(path, data=data, files={field: ("load.png", image, "image/png")})
                status = r.status_code
            except httpx.HTTPError:
                status = 0
            out.append((status, time.perf_counter() - t0))
            if status in (429, 503):
                await asyncio.sleep(0.5)


async def _level(url: str, endpoint: str, clients: int, seconds: float, pid: int) -> dict:
    import httpx

    image = _png()
    out: list[tuple[int, float]] = []
    rss_max = 0
    stop = time.monotonic() + seconds
    t0 = time.perf_counter()
    tasks = [asyncio.create_task(_client(url, endpoint, image, stop, out)) for _ in range(clients)]
    while not all(t.done() for t in tasks):
        rss_max = max(rss_max, _status(pid, "VmRSS"))
        await asyncio.sleep(0.1)
    elapsed = time.perf_counter() - t0
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        queued = (await client.get("/v1/jobs", params={"status": "queued", "limit": 1})).json()["total"]
    lat = sorted(d for _, d in out)
    n = len(out)
    count = lambda *codes: sum(1 for s, _ in out if s in codes)  # noqa: E731
    ok = count(200, 202)
    return {"endpoint": endpoint, "clients": clients, "requests": n, "req_s": n / elapsed, "ok_s": ok / elapsed,
            "p50_ms": 1000 * statistics.median(lat) if lat else 0.0,
            "p99_ms": 1000 * lat[min(n - 1, int(0.99 * n))] if lat else 0.0,
            "share_429": count(429) / max(1, n), "share_503": count(503) / max(1, n),
            "other_errors": n - ok - count(429, 503), "rss_max_mb": rss_max / 1024,
            "hwm_mb": _status(pid, "VmHWM") / 1024, "queued": queued}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--clients", default="5,10,20")
    ap.add_argument("--endpoints", default="enhance,jobs")
    ap.add_argument("--env", action="append", default=[], help="KEY=VALUE for the server (e.g. VIVID_WORKERS=2)")
    args = ap.parse_args()
    env = dict(kv.split("=", 1) for kv in args.env)
    rows = []
    for endpoint in args.endpoints.split(","):
        for clients in (int(c) for c in args.clients.split(",")):
            with Server(env) as server:
                start_rss = _status(server.proc.pid, "VmRSS") / 1024
                row = asyncio.run(_level(server.url, endpoint, clients, args.seconds, server.proc.pid))
                row["start_mb"] = start_rss
                rows.append(row)
                print(f"  {endpoint} x{clients}: {row['requests']} requests", file=sys.stderr, flush=True)
    print(f"\n{args.seconds:g} s per level, closed loop (0.5 s pause after a 429/503), 128x96 PNG, sr x2 vivid-sr, "
          f"server env {env or 'defaults'}\n")
    print("| endpoint | clients | req/s | accepted/s | p50 ms | p99 ms | 429 share | 503 share | other errors "
          "| server RSS start→max MB | peak RSS (VmHWM) MB | queued at end |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        path = "POST /v1/enhance" if r["endpoint"] == "enhance" else "POST /v1/jobs"
        print(f"| {path} | {r['clients']} | {r['req_s']:.1f} | {r['ok_s']:.1f} | {r['p50_ms']:.0f} | {r['p99_ms']:.0f} "
              f"| {r['share_429']:.1%} | {r['share_503']:.1%} | {r['other_errors']} | {r['start_mb']:.0f}→"
              f"{r['rss_max_mb']:.0f} | {r['hwm_mb']:.0f} | {r['queued']} |")


if __name__ == "__main__":
    main()
