"""Worker process for ``vivid bench speed``: times one model, prints one JSON line.

Run as ``python -m vivid.bench.speed_worker`` with a JSON request on stdin (see
:func:`vivid.bench.speed._worker`). It loads the model on the request's runtime as ``vivid enhance`` does
(:func:`vivid.zoo.onnx_runtime.load_on_runtime`), then for each input size (smallest first) runs
``warmup`` untimed and ``runs`` timed calls of :func:`vivid.engine.api.run_model` on a synthetic frame,
and reports the times and the process's peak resident memory (VmHWM) after each size.
"""

from __future__ import annotations

import json
import resource
import sys
import time

from vivid.io.image import Image
from vivid.models.torch_runtime import default_threads
from vivid.zoo.onnx_runtime import load_on_runtime


def _peak_rss_mib() -> float:
    """Peak resident memory of this process's own address space, MiB.

    Linux's ``VmHWM`` (/proc/self/status). Not ``getrusage().ru_maxrss``: the kernel carries that over
    ``exec`` from the parent, so a worker started by a parent that already holds torch and the models
    would report the parent's peak. ``ru_maxrss`` (KiB on Linux) is the fallback elsewhere.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def synthetic_frame(width: int, height: int, *, seed: int = 0):  # noqa: ANN201 - numpy array
    """A deterministic, image-like RGB frame ``(3, H, W)``: smooth gradients, edges and mild noise."""
    import numpy as np

    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    base = 0.5 + 0.3 * np.sin(xx / 7.0) * np.cos(yy / 11.0)
    base += 0.15 * (((yy // 24) + (xx // 24)) % 2)
    img = np.stack([base * (0.75 + 0.1 * i) for i in range(3)])
    img += rng.normal(0.0, 0.02, img.shape).astype(np.float32)
    return np.clip(img, 0.0, 1.0).astype(np.float32)


def _threads(runtime: str) -> int:
    """Threads the model's runtime was given: torch's and OpenCV's own setting, else vivid's default
    (what ``VIVID_THREADS`` or the CPU affinity allows; numpy-only code may use fewer)."""
    if runtime == "torch" and "torch" in sys.modules:
        return int(sys.modules["torch"].get_num_threads())
    if runtime == "opencv" and "cv2" in sys.modules:
        return int(sys.modules["cv2"].getNumThreads())
    return default_threads()


def main() -> int:
    request = json.loads(sys.stdin.read())
    from vivid.engine import api
    rss_start = _peak_rss_mib()  # interpreter, numpy and the engine, before the model and its runtime

    model = load_on_runtime(request["model"], scale=request["scale"], runtime=request.get("runtime", "auto"),
                            allow_pickle=request["allow_pickle"], precision=request.get("precision", "float32"))
    d = model.descriptor
    rss_loaded = _peak_rss_mib()
    results = []
    for label, w, h in request["sizes"]:
        image = Image(synthetic_frame(w, h))
        for _ in range(request["warmup"]):
            out = api.run_model(model, image, tile=request["tile"])
        times = []
        for _ in range(request["runs"]):
            t0 = time.perf_counter()
            out = api.run_model(model, image, tile=request["tile"])
            times.append((time.perf_counter() - t0) * 1000.0)
        results.append(
            {
                "label": label,
                "in": [w, h],
                "out": [out.width, out.height],
                "runs_ms": times,
                "peak_rss_mib": _peak_rss_mib(),
            }
        )
        del out, image
    print(
        json.dumps(
            {
                "runtime": d.runtime + (" int8" if getattr(model, "precision", "float32") == "int8" else ""),
                "threads": _threads(d.runtime),
                "rss_start_mib": rss_start,
                "rss_loaded_mib": rss_loaded,
                "results": results,
            }
        )
    )
    model.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
