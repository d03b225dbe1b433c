"""``vivid enhance --engine ray`` on a local Ray instance: the local batch's outputs, models loaded once per
worker, resuming, and the errors of an unreachable cluster."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from tests.cluster.conftest import write_pngs
from tests.cluster.test_batch import enhance, lines, pixels

pytestmark = pytest.mark.ray
pytest.importorskip("ray")


def test_the_cluster_writes_what_the_local_batch_writes(tmp_path: Path, ray_local) -> None:  # noqa: ANN001
    write_pngs(tmp_path / "in", 6)
    args = ["--task", "sr", "--model", "vivid-sr", "--scale", "2", "-q"]
    local = enhance(str(tmp_path / "in"), "-o", str(tmp_path / "local"), *args)
    assert local.exit_code == 0, local.output
    r = enhance(str(tmp_path / "in"), "-o", str(tmp_path / "ray"), *args, "--engine", "ray")
    assert r.exit_code == 0 and "6 written, 0 skipped, 0 failed" in r.output, r.output
    workers, loads = map(int, re.search(r"ray: (\d+) workers; (\d+) model loads", r.output).groups())
    assert workers == 2 and 1 <= loads <= workers  # each worker loads vivid-sr once, not once per image
    written = sorted(p.relative_to(tmp_path / "local") for p in (tmp_path / "local").rglob("*.png"))
    assert written == sorted(p.relative_to(tmp_path / "ray") for p in (tmp_path / "ray").rglob("*.png"))
    assert len(written) == 6
    for rel in written:
        a, b = pixels((tmp_path / "local" / rel).read_bytes()), pixels((tmp_path / "ray" / rel).read_bytes())
        assert a.shape == b.shape == (80, 96, 3) and np.abs(a - b).max() <= 1  # within 1/255
    report = lines((tmp_path / "ray" / "vivid-report.jsonl").read_bytes())
    assert [x["status"] for x in report] == ["written"] * 6 and {tuple(x["models"]) for x in report} == {("vivid-sr",)}
    r = enhance(str(tmp_path / "in"), "-o", str(tmp_path / "ray"), *args, "--engine", "ray")
    assert r.exit_code == 0 and "0 written, 6 skipped, 0 failed" in r.output, r.output


def test_a_model_that_cannot_load_stops_the_batch_before_any_item(tmp_path: Path, ray_local) -> None:  # noqa: ANN001
    write_pngs(tmp_path / "in", 2)
    (tmp_path / "bad.onnx").write_bytes(b"not a model")
    r = enhance(str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--task", "sr", "--model-file",
                str(tmp_path / "bad.onnx"), "--engine", "ray")
    assert r.exit_code == 4, r.output
    assert "bad.onnx" in r.output and not list((tmp_path / "out").glob("*.png"))


def test_an_unreachable_cluster_is_one_line_saying_what_to_do(tmp_path: Path) -> None:
    write_pngs(tmp_path / "in", 1)
    r = enhance(str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--task", "sr", "--engine", "ray",
                "--ray-address", "127.0.0.5:1")
    assert r.exit_code == 2
    assert " ".join(r.output.split()) == ("error: cannot reach the Ray cluster at 127.0.0.5:1 (Connection refused): "
                                          "start it with 'ray start --head --port 1' on 127.0.0.5, or check "
                                          "--ray-address")
    r = enhance(str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--engine", "ray", "--ray-address", "headnode")
    assert r.exit_code == 2 and "--ray-address 'headnode' is not HOST:PORT" in r.output


def test_no_worker_able_to_start_stops_the_batch_and_keeps_it_resumable(tmp_path: Path, ray_local) -> None:  # noqa: ANN001
    from vivid.cluster.batch import Source, run_batch
    from vivid.cluster.pool import RayPool
    from vivid.cluster.storage import fingerprint

    paths = write_pngs(tmp_path / "in", 2)
    out = tmp_path / "out"
    options = {"task": "sr", "model": "bicubic", "scale": 2.0}
    sources = [Source(str(p), str(out / p.name), fingerprint(str(p))) for p in paths]
    worker = {"options": options, "cache": {}, "output_root": str(out)}
    pool = RayPool(worker, workers=1, cpus=64, start_timeout=3)  # more CPUs than any node has: never placed
    result = run_batch(sources, output_root=str(out), options=options, pool=pool)
    assert result.error.startswith("no Ray worker is running and none could start for ")
    assert result.error.endswith("check 'ray status', then run the same command again (finished items are kept)")
    assert [o.status for o in result.outcomes] == ["failed", "failed"]
    assert all(o.error == f"not run: {result.error}" for o in result.outcomes)
    assert lines((out / "vivid-manifest.jsonl").read_bytes()) == []  # nothing claimed done


def test_a_video_with_no_worker_able_to_start_stops_in_one_line_and_resumes(tmp_path: Path, ray_local) -> None:  # noqa: ANN001
    from tests.video.conftest import make_clip, read_streams
    from vivid.cluster.pool import RayPool, WorkersLost
    from vivid.cluster.video import SegmentWorker, enhance_video_on_cluster
    from vivid.video import VideoOptions

    src = make_clip(tmp_path / "in.mkv", frames=10)
    out = tmp_path / "out.mkv"
    opts = VideoOptions(task="sr", model="bicubic", scale=2, segment_seconds=0.5, preset="ultrafast")
    never = lambda a: RayPool(a, workers=1, cpus=64, start_timeout=3, worker_class=SegmentWorker)  # noqa: E731
    with pytest.raises(WorkersLost) as e:
        enhance_video_on_cluster(src, out, opts, make_pool=never)
    assert "no Ray worker is running" in str(e.value) and "\n" not in str(e.value)
    assert str(e.value).endswith(f"0 finished segments are kept in {tmp_path / '.out.mkv.vivid-work'} for --resume")
    res = enhance_video_on_cluster(src, out, opts.model_copy(update={"resume": True}),
                                   make_pool=lambda a: RayPool(a, workers=2, worker_class=SegmentWorker))
    assert res.frames == 10 and res.segments == 2 and len(read_streams(out)["video"]) == 10
