"""Benchmarks: ``vivid bench quality`` (PSNR/SSIM/ΔE under ../shared/docs/EVAL.md protocols, with published
numbers beside them) and ``vivid bench speed`` (ms per frame, throughput, peak memory).

Modules: :mod:`~vivid.bench.datasets` (names to folders, pairing), :mod:`~vivid.bench.protocols` (per-task
degrade and score), :mod:`~vivid.bench.models` (loading and checking models), :mod:`~vivid.bench.quality`,
:mod:`~vivid.bench.speed` (+ its worker process), :mod:`~vivid.bench.report` (markdown, CSV, JSON, HTML),
``published.json`` (published numbers with sources). Nothing is imported or read until asked for.
"""
