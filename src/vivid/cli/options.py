"""Options several commands take, declared once: the same name and help in ``enhance``, ``video`` and
``models`` (their defaults are the library's, :class:`vivid.engine.options.EnhanceOptions`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

Model = Annotated[str | None, typer.Option(help="Model name (see 'vivid models'), vivid's or one you added.")]
ModelFile = Annotated[Path | None, typer.Option(help="Your own model: .pth/.safetensors, OpenCV .pb, .onnx.")]
AllowPickle = Annotated[bool, typer.Option(help="Allow model files that run pickled code (trusted files only).")]
Dtype = Annotated[str, typer.Option(help="float32, or bfloat16 for vivid's torch models (faster on AVX512-BF16 CPUs).")]
Runtime = Annotated[str, typer.Option(
    help="auto (ONNX Runtime where measured faster), torch, onnx or openvino (the [openvino] extra).")]
Precision = Annotated[str, typer.Option(
    help="auto (int8 where vivid ships a tested int8 model: vivid-sr x2; float32 elsewhere), float32, or int8 "
         "(other networks after 'vivid models quantize NAME'); see README 'Runtimes'.")]
Engine = Annotated[str, typer.Option(
    help="local (this process) or ray (workers on a Ray cluster; pip install 'vivid-restore[ray]').")]
RayAddress = Annotated[str | None, typer.Option(
    help="With --engine ray: the cluster to join, HOST:PORT or auto (the one 'ray start' runs on this machine); "
         "default: a local one for this run.")]
RayWorkers = Annotated[int | None, typer.Option(
    min=1, help="With --engine ray: workers to run (default: one per CPU of the cluster).")]
