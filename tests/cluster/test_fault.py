"""A real two-node Ray cluster (loopback, one CPU per node): a worker or a node killed with SIGKILL in the
middle of a batch costs a retry, not an image (nothing lost, nothing written twice); the service runs its jobs
on both nodes."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.cluster.conftest import write_pngs
from tests.cluster.two_nodes import TwoNodes, ray_env, two_nodes

pytestmark = [pytest.mark.ray, pytest.mark.slow]
pytest.importorskip("ray")
N = 16


@pytest.fixture
def cluster() -> Iterator[TwoNodes]:
    c = two_nodes()
    try:
        yield c.start()
    finally:
        c.stop()
        assert not c.leftovers()


def run_and_kill(cmd: list[str], victims: Callable[[], list[int]]) -> tuple[str, int]:
    """Run ``cmd`` (a vivid command on the cluster) and SIGKILL the processes ``victims()`` names the first time
    it names any (asked every 50 ms); returns the command's output on one line and its exit status."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=ray_env())
    killed: list[int] = []
    deadline = time.monotonic() + 120
    try:
        while not killed and proc.poll() is None and time.monotonic() < deadline:
            killed = victims()
            if killed:
                subprocess.run(["kill", "-9", *map(str, killed)], check=True)
            time.sleep(0.05)
        output, _ = proc.communicate(timeout=180)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
    text = " ".join(output.decode(errors="replace").split())
    assert killed, f"no busy worker to kill; the command said: {text}"
    return text, proc.returncode


@pytest.mark.parametrize("victim", ["worker", "raylet"])
def test_a_worker_or_node_killed_mid_batch_costs_a_retry_not_an_image(tmp_path: Path, cluster: TwoNodes,
                                                                      victim: str) -> None:
    """``worker``: SIGKILL to a busy worker process (its node starts a replacement); ``raylet``: SIGKILL to the
    second node's raylet and its busy worker (the node is lost; the head's worker finishes the batch)."""
    write_pngs(tmp_path / "in", N, h=160, w=192)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "vivid.cli.main", "enhance", str(tmp_path / "in"), "-o", str(out), "--task", "sr",
           "--model", "vivid-sr", "--engine", "ray", "--ray-address", cluster.address, "--ray-workers", "2", "-q"]

    def mid_item() -> list[int]:
        if len(list(out.glob("*.png"))) < 2:  # the batch is under way on both nodes
            return []
        busy = cluster.workers(busy=True, node=None if victim == "worker" else "node")
        if not busy or busy[-1] not in cluster.workers(busy=True):  # still busy a moment later: mid-item
            return []
        # a lost node loses every process on it: the raylet and its busy worker go together (a worker alone can
        # finish its item before it notices that its raylet is gone, on a fast machine)
        return [busy[-1]] if victim == "worker" else [cluster.raylet("node"), busy[-1]]

    text, code = run_and_kill(cmd, mid_item)
    assert code == 0, text
    assert f"{N} written, 0 skipped, 0 failed" in text
    assert re.search(r"ray: 2 workers, [1-9]\d* lost and replaced", text), text
    names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    expected = sorted([f"p{i}.png" for i in range(N - 1)] + [f"sub/p{N - 1}.png"])
    assert names == sorted([*expected, "vivid-manifest.jsonl", "vivid-report.jsonl"])  # no parts, no copies
    manifest = [json.loads(x) for x in (out / "vivid-manifest.jsonl").read_text().splitlines()]
    assert len(manifest) == N and {m["status"] for m in manifest} == {"done"}
    assert sorted(m["output"] for m in manifest) == expected
    assert max(m["attempts"] for m in manifest) == 2  # the killed worker's item, run again elsewhere
    report = [json.loads(x) for x in (out / "vivid-report.jsonl").read_text().splitlines()]
    assert [r["status"] for r in report] == ["written"] * N


def test_the_service_runs_its_jobs_on_both_nodes(tmp_path: Path, cluster: TwoNodes) -> None:
    """``vivid serve --engine ray --ray-address`` on the two-node cluster: its two job threads each get a Ray
    worker (one per node: one CPU each), and the jobs sent to it are done there, a video job's segments too."""
    import httpx

    from tests.server.support import free_port, mp4_bytes, png_bytes

    port = free_port()
    env = {**ray_env(), "VIVID_DATA_DIR": str(tmp_path / "data"), "VIVID_WORKERS": "2"}
    env.pop("VIVID_API_KEYS", None)
    server = subprocess.Popen([sys.executable, "-m", "vivid.cli.main", "serve", "--port", str(port), "--engine", "ray",
                               "--ray-address", cluster.address, "--log-level", "warning"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "the server did not come up"
            time.sleep(0.2)
        assert [len(cluster.workers(busy=False, node=n, actor="ServiceWorker")) for n in ("head", "node")] == [1, 1]
        ids = []
        for i in range(4):
            r = httpx.post(f"{url}/v1/jobs", data={"task": "sr", "model": "vivid-sr", "scale": "2"},
                           files={"files": (f"p{i}.png", png_bytes(seed=i), "image/png")}, timeout=60)
            assert r.status_code == 202, r.text
            ids.append(r.json()["id"])
        deadline = time.monotonic() + 120
        while True:
            jobs = [httpx.get(f"{url}/v1/jobs/{i}", timeout=30).json() for i in ids]
            if all(j["status"] in ("done", "failed", "cancelled") for j in jobs):
                break
            assert time.monotonic() < deadline, [j["status"] for j in jobs]
            time.sleep(0.2)
        assert [j["status"] for j in jobs] == ["done"] * 4, jobs
        assert all(j["results"][0]["width"] == 128 for j in jobs)
        # a video job: its segment is made by one of the service's Ray workers, not in the replica
        clip = mp4_bytes(tmp_path, frames=48, size=(192, 144))
        r = httpx.post(f"{url}/v1/jobs", data={"task": "sr", "model": "vivid-sr", "scale": "2"},
                       files={"files": ("clip.mp4", clip, "video/mp4")}, timeout=60)
        assert r.status_code == 202, r.text
        seen_on_ray, deadline = False, time.monotonic() + 120
        while True:
            seen_on_ray = seen_on_ray or bool(cluster.workers(busy=True, actor="ServiceWorker", method="segment"))
            job = httpx.get(f"{url}/v1/jobs/{r.json()['id']}", timeout=30).json()
            if job["status"] in ("done", "failed", "cancelled"):
                break
            assert time.monotonic() < deadline, job["status"]
            time.sleep(0.05)
        assert job["status"] == "done", job
        result = job["results"][0]
        assert (result["width"], result["height"], result["provenance"]["frames"]) == (384, 288, 48)
        assert result["provenance"]["engine"] == "ray" and seen_on_ray
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()


def test_a_video_on_two_nodes_survives_a_killed_worker_and_matches_the_local_engine(tmp_path: Path,
                                                                                    cluster: TwoNodes) -> None:
    """``vivid video --engine ray`` (paths as ``file://`` URLs) on the two-node cluster: a 6 s clip with audio
    and subtitles in 1 s segments, one per node at a time; SIGKILL to a busy segment worker costs that segment
    a retry. The output holds every stream and frame and the very video packets of the local engine."""
    from tests.cluster.test_video import video_packets
    from tests.video.conftest import make_clip, read_streams

    src = make_clip(tmp_path / "in.mp4", frames=60, size=(256, 192))
    args = ["--task", "sr", "--model", "vivid-sr", "--segment-seconds", "1", "-q"]
    cmd = [sys.executable, "-m", "vivid.cli.main", "video", f"file://{src}", "-o", f"file://{tmp_path / 'ray.mp4'}",
           *args, "--engine", "ray", "--ray-address", cluster.address, "--ray-workers", "2"]

    def mid_segment() -> list[int]:
        busy = cluster.workers(busy=True, actor="SegmentWorker")
        return busy[-1:] if busy and busy[-1] in cluster.workers(busy=True, actor="SegmentWorker") else []

    text, code = run_and_kill(cmd, mid_segment)
    assert code == 0, text
    assert re.search(r"ray: 2 workers, 1 lost and replaced; [1-3] model loads; 6 segments", text), text
    local = subprocess.run([sys.executable, "-m", "vivid.cli.main", "video", str(src), "-o", str(tmp_path / "local.mp4"),
                            *args], capture_output=True, env=ray_env(), timeout=180, check=False)
    assert local.returncode == 0, local.stdout
    a, b = read_streams(src), read_streams(tmp_path / "ray.mp4")
    assert b["types"] == a["types"] == ["video", "audio", "subtitle"]
    assert b["audio"] == a["audio"] and b["subtitle"] == a["subtitle"]
    assert len(b["video"]) == 60 and b["video_pts"] == a["video_pts"] and (b["width"], b["height"]) == (512, 384)
    assert video_packets(tmp_path / "ray.mp4") == video_packets(tmp_path / "local.mp4")  # x264 is deterministic
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mp4", "local.mp4", "ray.mp4"]  # no work folder left
