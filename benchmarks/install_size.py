"""Install size of vivid's base environment (or with extras), from the installed packages' own records.

    python benchmarks/install_size.py                      # base install: vivid-restore and what it requires
    python benchmarks/install_size.py --extras torch,bm3d   # with extras
    python benchmarks/install_size.py --pyproject OLD.toml  # the requirements of another pyproject.toml

Walks the requirement closure of ``vivid-restore`` (or of a pyproject's ``dependencies``) through the
distributions installed in this environment and sums the bytes of the files each one's RECORD lists:
what ``pip install`` of those requirements puts into site-packages (and bin/). A requirement that is not
installed here is reported, not guessed. Measures ``du`` of nothing else (pip itself, caches).
"""

from __future__ import annotations

import argparse
import re
import tomllib
from importlib import metadata
from pathlib import Path

try:
    from packaging.markers import default_environment
    from packaging.requirements import Requirement
except ImportError:  # pragma: no cover - pip always carries a copy
    from pip._vendor.packaging.markers import default_environment
    from pip._vendor.packaging.requirements import Requirement


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def closure(requirements: list[str], *, extras: tuple[str, ...] = ()) -> tuple[dict[str, metadata.Distribution], list[str]]:
    """Installed distributions needed by ``requirements`` (recursively, markers evaluated for this
    interpreter), by normalised name; and the requirements found missing here."""
    found: dict[str, metadata.Distribution] = {}
    missing: list[str] = []
    todo = [(Requirement(r), tuple(extras)) for r in requirements]
    seen: set[tuple[str, tuple[str, ...]]] = set()
    while todo:
        req, active = todo.pop()
        env = default_environment()
        if req.marker is not None and not any(req.marker.evaluate({**env, "extra": e}) for e in (active or ("",))):
            continue
        key = (_norm(req.name), tuple(sorted(req.extras)))
        if key in seen:
            continue
        seen.add(key)
        try:
            dist = metadata.distribution(req.name)
        except metadata.PackageNotFoundError:
            missing.append(str(req))
            continue
        found[_norm(req.name)] = dist
        todo += [(Requirement(r), tuple(sorted(req.extras))) for r in dist.requires or []]
    return found, missing


def files_of(dist: metadata.Distribution) -> list[Path]:
    """The installed files of ``dist`` (its RECORD), resolved."""
    return [Path(dist.locate_file(f)).resolve() for f in dist.files or []]


def size_of(dists: dict[str, metadata.Distribution]) -> int:
    total = 0
    for dist in dists.values():
        total += sum(p.stat().st_size for p in files_of(dist) if p.is_file())
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--extras", default="", help="comma-separated extras of vivid-restore")
    ap.add_argument("--pyproject", help="use this pyproject.toml's dependencies instead of the installed vivid")
    ap.add_argument("--top", type=int, default=8, help="list the largest distributions")
    a = ap.parse_args()
    extras = tuple(e for e in a.extras.split(",") if e)
    if a.pyproject:
        project = tomllib.loads(Path(a.pyproject).read_text())["project"]
        reqs = list(project["dependencies"]) + [r for e in extras for r in project["optional-dependencies"][e]]
        reqs = [r for r in reqs if _norm(Requirement(r).name) != _norm(project["name"])]
        dists, missing = closure(reqs)
    else:
        dists, missing = closure([f"vivid-restore[{','.join(extras)}]" if extras else "vivid-restore"], extras=extras)
    sizes = sorted(((size_of({k: d}), k) for k, d in dists.items()), reverse=True)
    print(f"{len(dists)} distributions, {size_of(dists) / 2**20:,.0f} MiB installed")
    for size, name in sizes[: a.top]:
        print(f"  {name}: {size / 2**20:,.1f} MiB")
    if missing:
        print(f"not installed here (not counted): {', '.join(missing)}")


if __name__ == "__main__":
    main()
