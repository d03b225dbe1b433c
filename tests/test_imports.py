"""vivid's modules import each other without cycles, counting the imports made inside functions too (a deferred
import hides a cycle instead of removing it), and light modules stay light to import."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def _modules() -> dict[str, Path]:
    return {".".join(f.relative_to(SRC).with_suffix("").parts).removesuffix(".__init__"): f
            for f in (SRC / "vivid").rglob("*.py")}


def _imports(tree: ast.AST, modules: dict[str, Path]) -> set[str]:
    """The vivid modules ``tree`` imports anywhere (not under ``if TYPE_CHECKING:``)."""
    typing_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                   and "TYPE_CHECKING" in ast.unparse(node.test) for n in ast.walk(node)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("vivid"):
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.add(full if full in modules else node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("vivid"))
    return {m for m in found if m in modules}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` (as a path that returns to its start), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(v: str) -> list[str] | None:
        state[v] = 1
        stack.append(v)
        for w in sorted(graph.get(v, ())):
            if state.get(w) == 1:
                return stack[stack.index(w):] + [w]
            if w not in state and (found := visit(w)):
                return found
        stack.pop()
        state[v] = 2
        return None

    for v in sorted(graph):
        if v not in state and (found := visit(v)):
            return found
    return None


def test_no_import_cycles_even_through_deferred_imports() -> None:
    modules = _modules()
    assert len(modules) > 100
    graph = {m: _imports(ast.parse(f.read_text()), modules) - {m} for m, f in modules.items()}
    cycle = _cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_cycle_check_finds_a_deferred_cycle() -> None:
    """The check itself bites: a function-level import back into a module is a cycle."""
    modules = {"vivid.a": Path("a.py"), "vivid.b": Path("b.py")}
    a = ast.parse("from vivid.b import g\ndef f():\n    return g()\n")
    b = ast.parse("def g():\n    from vivid.a import f\n    return f\n")
    graph = {"vivid.a": _imports(a, modules), "vivid.b": _imports(b, modules)}
    assert _cycle(graph) in (["vivid.a", "vivid.b", "vivid.a"], ["vivid.b", "vivid.a", "vivid.b"])


def test_the_command_line_and_the_package_import_without_torch_or_opencv() -> None:
    """``vivid --help`` and ``import vivid`` load no heavy library (torch, ONNX Runtime, OpenCV, PyAV, Ray)."""
    code = ("import sys, vivid, vivid.cli.main; heavy = {'torch', 'onnxruntime', 'cv2', 'av', 'ray', 'spandrel'}; "
            "print(sorted(heavy & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"})
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
