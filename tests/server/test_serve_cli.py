"""``vivid serve``: options, the printed URL, and a real server process answering."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.server.support import free_port
from vivid.cli.main import app


def test_serve_help_lists_its_options() -> None:
    out = CliRunner().invoke(app, ["serve", "--help"], env={"COLUMNS": "200"}).output
    for opt in ("--host", "--port", "--data-dir", "--database-url", "--workers"):
        assert opt in out


def test_serve_prints_the_url_and_runs_uvicorn(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import uvicorn

    calls: dict = {}
    monkeypatch.setattr(uvicorn, "run", lambda application, **kw: calls.update(kw, app=application))
    res = CliRunner().invoke(app, ["serve", "--data-dir", str(tmp_path)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "http://127.0.0.1:8000" in res.output
    assert (calls["host"], calls["port"]) == ("127.0.0.1", 8000)
    assert calls["app"].state.settings.data_dir == tmp_path
    res = CliRunner().invoke(app, ["serve", "--port", "0"])
    assert res.exit_code == 2


def test_serve_process_answers_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "VIVID_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.Popen([sys.executable, "-m", "vivid.cli.main", "serve", "--port", str(port),
                             "--log-level", "warning"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                            text=True)
    try:
        first = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}" in first, first
        import httpx

        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and proc.poll() is None, "server did not come up"
                time.sleep(0.1)
        assert r.status_code == 200 and r.json()["status"] == "ready"
        assert (tmp_path / "data" / "vivid.db").is_file()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert proc.returncode in (0, 130, -signal.SIGINT)
