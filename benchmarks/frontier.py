"""Speed/quality frontier of x2 super-resolution: PSNR on Set5 and Set14 against ms per 720p frame.

Usage (from the repository root)::

    .venv/bin/python benchmarks/frontier.py -o frontier/        # frontier.png, frontier.md, frontier.json

One run, one command: every vivid SR model at every precision and runtime it has here (float32 in ONNX Runtime,
int8 where it ships (vivid-sr x2, the default there) or ``vivid models quantize`` made its file, ``--runtime
openvino`` when the [openvino] extra is installed), OpenCV's ESPCN, FSRCNN, FSRCNN-small and LapSRN
(``dnn_superres`` .pb files), the official VDSR (its PyTorch port's pickled model, whose tensors vivid reads
without running its code)
and the bring-your-own x2 models of ../shared/weights that load (DCTLSA). Real-ESRGAN Compact is x4 only, so it
has no x2 point. A model that does not load is listed with the reason and left out.

* Quality: :func:`vivid.bench.quality.run_quality` (``vivid bench quality --task sr --scale 2 --data
  Set5,Set14``: Y PSNR, shave 2, MATLAB bicubic LR).
* Speed: :func:`vivid.bench.speed.run_speed` (``vivid bench speed --sizes 720p --scale 2``: a 640x360 input to
  1280x720, each model in its own worker process, median of ``--runs``).

The machine's load average is printed before and after: on a shared machine, compare the points of one run.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WEIGHTS = ROOT.parent / "shared" / "weights"
PEERS = {  # label -> model spec (x2 files of ../shared/weights)
    "OpenCV ESPCN": "espcn/ESPCN_x2.pb",
    "OpenCV FSRCNN": "fsrcnn/FSRCNN_x2.pb",
    "OpenCV FSRCNN-small": "fsrcnn/FSRCNN-small_x2.pb",
    "OpenCV LapSRN": "lapsrn/LapSRN_x2.pb",
    "VDSR (official, PyTorch port)": "vdsr/model_epoch_50.pth",
    "DCTLSA": "dctlsa/X2.pt",
}


def _loads(spec: str) -> str | None:
    """Why ``spec`` does not load as an x2 SR model (None: it loads)."""
    from vivid.bench.models import load_bench_model
    from vivid.engine.cache import ModelCache

    try:
        load_bench_model(ModelCache(), spec, task="sr", scale=2)
    except Exception as e:  # noqa: BLE001 - reported and left out
        return f"{type(e).__name__}: {e}"
    return None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-o", "--out", type=Path, required=True, help="folder for frontier.png/.md/.json")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per model (median; at least 5)")
    args = ap.parse_args()

    from vivid.bench.quality import QualityConfig, plan_quality, run_quality
    from vivid.bench.speed import SpeedConfig, plan_speed, run_speed
    from vivid.models.registry import list_models
    from vivid.zoo.openvino_runtime import openvino_installed
    from vivid.zoo.quantize import has_int8

    args.out.mkdir(parents=True, exist_ok=True)
    vivid = [e.name for e in list_models("sr") if e.kind == "learned" and e.supports_scale(2)]  # every vivid SR model
    int8 = [m for m in vivid if has_int8(m, 2)]
    peers, left_out = [], []
    for label, rel in PEERS.items():
        spec = f"file:{WEIGHTS / rel}"
        why = _loads(spec) if (WEIGHTS / rel).exists() else f"{WEIGHTS / rel} is absent"
        (left_out.append(f"{label}: {why}") if why else peers.append((label, spec)))
    load0 = os.getloadavg()[0]
    print(f"load average {load0:.2f} at start; int8 files for {', '.join(int8) or 'none'}; "
          f"OpenVINO {'installed' if openvino_installed() else 'not installed'}", flush=True)

    # quality (the same for every runtime: same graphs, float32 inference): float32, then the int8 files
    qcfg = QualityConfig(task="sr", datasets=("Set5", "Set14"), scales=(2,), crops=0,
                         models=tuple(vivid + [s for _, s in peers]), skip_unsupported=True, precisions=("float32",))
    groups = run_quality(plan_quality(qcfg)).groups
    if int8:
        qcfg = QualityConfig(task="sr", datasets=("Set5", "Set14"), scales=(2,), crops=0, models=tuple(int8),
                             precisions=("int8",))
        groups += run_quality(plan_quality(qcfg)).groups
    psnr: dict[str, dict[str, float]] = {}
    for g in groups:
        for r in g.rows:
            psnr.setdefault(r.model, {})[r.dataset] = r.metrics["psnr"]

    # speed: one run per runtime/precision variant, 720p output
    def timed(models: list[str], **kw: object) -> dict[str, tuple[float, str]]:
        res = run_speed(plan_speed(SpeedConfig(models=tuple(models), sizes=("720p",), scale=2, runs=args.runs,
                                               **kw)))  # type: ignore[arg-type]
        return {r.model: (r.ms, r.runtime) for r in res.rows}

    speed = timed(vivid + [s for _, s in peers], precisions=("float32",))
    if int8:
        speed.update(timed(int8, precisions=("int8",)))
    ov = timed(vivid, runtime="openvino") if openvino_installed() else {}
    load1 = os.getloadavg()[0]

    from vivid.bench.models import model_label

    label_of = {model_label(s): lab for lab, s in peers}
    points = []
    for model, (ms, runtime) in speed.items():
        name = label_of.get(model, model)
        q = psnr.get(model) or psnr.get(model_label(model), {})
        points.append({"model": name, "runtime": runtime, "ms_720p": ms, "set5": q.get("Set5"),
                       "set14": q.get("Set14")})
    for model, (ms, runtime) in ov.items():
        q = psnr.get(model, {})
        points.append({"model": f"{model} (openvino)", "runtime": runtime, "ms_720p": ms, "set5": q.get("Set5"),
                       "set14": q.get("Set14")})
    bicubic = {r.dataset: r.metrics["psnr"] for g in groups for r in g.rows if r.is_baseline}
    points.sort(key=lambda p: p["ms_720p"])

    lines = [f"x2 SR frontier: Y PSNR (Set5, Set14; bicubic {bicubic.get('Set5', 0):.2f} / "
             f"{bicubic.get('Set14', 0):.2f}) vs ms per 1280x720 output frame (median of {args.runs}); "
             f"load average {load0:.2f} at start, {load1:.2f} at the end", "",
             "| model | runtime | ms / 720p frame | Set5 PSNR | Set14 PSNR |", "|---|---|---:|---:|---:|"]
    for p in points:
        lines.append(f"| {p['model']} | {p['runtime']} | {p['ms_720p']:.0f} | "
                     f"{p['set5'] or float('nan'):.2f} | {p['set14'] or float('nan'):.2f} |")
    if left_out:
        lines += ["", "Left out (did not load): " + "; ".join(left_out)]
    table = "\n".join(lines)
    print(table)
    (args.out / "frontier.md").write_text(table + "\n")
    (args.out / "frontier.json").write_text(json.dumps({"points": points, "bicubic": bicubic,
                                                        "left_out": left_out}, indent=2) + "\n")
    _plot(points, bicubic, args.out / "frontier.png")
    print(f"wrote {args.out / 'frontier.png'}, frontier.md, frontier.json")
    return 0


def _plot(points: list[dict], bicubic: dict[str, float], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # points are numbered (fastest first, as in the table) and named in a key beside the panels: names next to
    # the points overlapped where models on several runtimes sit close together
    order = sorted(points, key=lambda p: p["ms_720p"])
    fig, axes = plt.subplots(1, 2, figsize=(14, 5.5), sharex=True)
    for ax, key, ds in ((axes[0], "set5", "Set5"), (axes[1], "set14", "Set14")):
        for n, p in enumerate(order, 1):
            if p[key] is None:
                continue
            mine = p["model"].startswith("vivid")
            ax.scatter(p["ms_720p"], p[key], marker="o" if mine else "s", color="C0" if mine else "C1")
            ax.annotate(str(n), (p["ms_720p"], p[key]), fontsize=7, xytext=(3, 3), textcoords="offset points")
        if ds in bicubic:
            ax.axhline(bicubic[ds], color="gray", linestyle=":", label="bicubic")
        ax.set_xscale("log")
        ax.set_xlabel("ms per 1280x720 output frame (log)")
        ax.set_ylabel(f"{ds} x2 Y PSNR (dB)")
        ax.grid(True, which="both", alpha=0.3)
    key_text = "\n".join(f"{n:>2}  {p['model']}" for n, p in enumerate(order, 1))
    fig.text(0.81, 0.5, key_text, fontsize=7.5, family="monospace", va="center", ha="left")
    fig.subplots_adjust(right=0.78)
    fig.suptitle("x2 super-resolution: quality vs speed (vivid: circles, others: squares)")
    fig.tight_layout(rect=(0, 0, 0.8, 1))
    tmp = path.with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=120)
    plt.close(fig)
    tmp.replace(path)


if __name__ == "__main__":
    raise SystemExit(main())
