"""API fuzzing with schemathesis over the OpenAPI document (its coverage phase tries boundary values such
as 2^64 for integers; its fuzzing phase random ones): no input makes a 5xx, and every answer matches the
documented status codes and schemas. Loopback only, a fixed seed and bounded examples (~580 requests)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.server.support import LiveServer
from vivid.server.settings import Settings


def _schemathesis() -> str:
    pytest.importorskip("schemathesis", reason="schemathesis is in the 'test' extra")
    exe = Path(sys.executable).with_name("schemathesis")
    return str(exe) if exe.exists() else (shutil.which("schemathesis") or pytest.skip("no schemathesis command"))


@pytest.mark.slow
def test_api_never_answers_5xx_and_keeps_its_contract(tmp_path: Path) -> None:
    exe = _schemathesis()
    settings = Settings(data_dir=tmp_path / "data", workers=1, max_upload_mb=2, max_pixels=2_000_000,
                        sync_max_pixels=200_000, sync_wait_seconds=2)
    with LiveServer(settings) as server:
        run = subprocess.run(
            [exe, "run", f"{server.url}/openapi.json", "--checks",
             "not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance,"
             "allow_header_conformance,unsupported_method",
             "--phases", "examples,coverage,fuzzing", "-n", "20", "--seed", "1", "--request-timeout", "60",
             "-w", "1", "--no-color"],
            capture_output=True, text=True, timeout=600, cwd=tmp_path)
    summary = run.stdout[-4000:]
    assert run.returncode == 0, summary
    assert "Tested: 16" in summary and "Unresolvable" not in summary, summary
