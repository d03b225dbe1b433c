"""A real two-node Ray cluster on loopback for the tests: ``ray start --head`` on 127.0.0.2 and a second
``ray start --address`` node on 127.0.0.3, one CPU each, in a temporary folder of its own.

Each node runs as ``ray start --block`` in a new session, so stopping it touches only its own processes:
SIGTERM (``ray start --block`` then stops what it started), SIGKILL to its process group for anything
left, and a last look for processes still naming the cluster's folder. No ``ray stop`` (it would stop every
Ray process on the machine, not only this cluster's).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAD_IP, NODE_IP = "127.0.0.2", "127.0.0.3"


def ray_env() -> dict[str, str]:
    """The environment of the nodes and of drivers joining them: vivid importable from this checkout, and no
    token authentication (the cluster listens on loopback only; a token would have to be shared first)."""
    path = os.pathsep.join(p for p in (str(ROOT / "src"), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, "RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}


@dataclass
class TwoNodes:
    folder: str
    address: str = ""
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    def start(self, *, timeout: float = 90.0) -> TwoNodes:
        from tests.server.support import free_port

        port = free_port()
        self.address = f"{HEAD_IP}:{port}"
        ray = str(Path(sys.executable).with_name("ray"))
        common = ["--block", "--num-cpus", "1", "--object-store-memory", str(200 << 20), "--disable-usage-stats"]
        self._spawn("head", [ray, "start", "--head", "--port", str(port), "--node-ip-address", HEAD_IP,
                             "--temp-dir", self.folder, "--include-dashboard", "false", *common])
        self._wait_for(lambda: _listening(HEAD_IP, port), "the head node", timeout)
        self._spawn("node", [ray, "start", "--address", self.address, "--node-ip-address", NODE_IP, *common])
        self._wait_for(lambda: "Ray runtime started" in self.log("node"), "the second node", timeout)
        return self

    def _spawn(self, name: str, cmd: list[str]) -> None:
        log = open(Path(self.folder) / f"{name}.log", "wb")  # noqa: SIM115 - kept open while the node runs
        self.procs[name] = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=ray_env(),
                                            start_new_session=True)

    def _wait_for(self, ready, what: str, timeout: float) -> None:  # noqa: ANN001
        deadline = time.monotonic() + timeout
        while not ready():
            dead = [n for n, p in self.procs.items() if p.poll() is not None]
            if dead or time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not start ({', '.join(dead) or 'timeout'}): {self.log(dead[0] if dead else 'head')[-2000:]}")
            time.sleep(0.3)

    def log(self, name: str) -> str:
        p = Path(self.folder) / f"{name}.log"
        return p.read_text(errors="replace") if p.exists() else ""

    def workers(self, *, busy: bool, node: str | None = None, actor: str = "Worker",
                method: str | None = None) -> list[int]:
        """Pids of this cluster's vivid worker processes (``busy``: those running an item now, not those still
        loading their model; ``node``: on the ``head`` or the second ``node`` only; ``actor``: ``Worker`` for
        batches, ``SegmentWorker`` for a video's segments, ``ServiceWorker`` for jobs; ``method``: busy with that
        one, instead of the actor's usual one)."""
        item = method or {"Worker": "process", "SegmentWorker": "process", "ServiceWorker": "enhance"}[actor]
        title = f"ray::{actor}.{item}".encode() if busy else f"ray::{actor}".encode()
        return [pid for pid in self.processes(node) if _cmdline(pid).startswith(title)]

    def raylet(self, node: str) -> int:
        """The pid of a node's raylet."""
        (pid,) = [p for p in self.processes(node) if b"/raylet/raylet" in _cmdline(p).split(b"\0")[0]]
        return pid

    def processes(self, node: str | None = None) -> list[int]:
        """Every process this cluster (or one ``node`` of it) started: the nodes' process groups and their
        descendants (the raylets start workers in sessions of their own)."""
        parent = {pid: _ppid(pid) for pid in _pids()}
        groups = {p.pid for name, p in self.procs.items() if node in (None, name)}
        mine = {pid for pid in parent if _pgid(pid) in groups}
        grew = True
        while grew:
            more = {pid for pid, pp in parent.items() if pp in mine} - mine
            mine |= more
            grew = bool(more)
        return sorted(mine)

    def stop(self) -> None:
        started = self.processes()
        for p in self.procs.values():
            if p.poll() is None:
                p.terminate()
        for p in self.procs.values():
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                pass
            try:
                os.killpg(p.pid, signal.SIGKILL)  # whatever of its group is left
            except (ProcessLookupError, PermissionError):
                pass
        self._started = started
        for pid in self.leftovers():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(self.folder, ignore_errors=True)

    def leftovers(self) -> list[int]:
        """Processes of this cluster still alive: ones it started, or any naming its folder."""
        known = set(getattr(self, "_started", ()))
        alive = []
        for pid in _pids():
            if pid != os.getpid() and (pid in known or self.folder.encode() in _cmdline(pid)):
                alive.append(pid)
        return alive


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _ppid(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return -1


def _pgid(pid: int) -> int:
    try:
        return os.getpgid(pid)
    except OSError:
        return -1


def _pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def _listening(host: str, port: int) -> bool:
    import socket

    try:
        socket.create_connection((host, port), timeout=1).close()
        return True
    except OSError:
        return False


def two_nodes() -> TwoNodes:
    """A cluster in a short temporary folder (Ray's socket paths must stay under 108 characters)."""
    return TwoNodes(tempfile.mkdtemp(prefix="vray", dir="/tmp"))
