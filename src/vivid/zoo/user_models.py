"""Your models by name: ``vivid models add FILE``, ``vivid models pull NAME|URL``, ``vivid models remove NAME``.

An added model is a checked copy of the file in your model folder (``$VIVID_MODELS_DIR``, else
``$XDG_DATA_HOME/vivid/models``, else ``~/.local/share/vivid/models``), one sub-folder per name::

    <folder>/<name>/<the file>         the model file (its original name, which OpenCV .pb files need)
    <folder>/<name>/model.json         name, file, sha256, size, task, scale, architecture, licence, source

Adding loads the file first (the task and scale are detected then; a file vivid cannot run is refused
and nothing is copied), copies it atomically and checks the copy's sha256. Afterwards ``--model NAME``
works wherever ``--model-file`` does: :func:`resolve_model_name` turns the name into ``file:PATH``.

``pull`` downloads a model named in the catalog (:data:`CATALOG`, OpenModelDB's JSON format: name,
author, licence, architecture, scale, resources with sha256, size and URLs) or at a URL, resumes an
interrupted download, verifies size and sha256, then adds it. A bad hash, an HTTP error or a file vivid
cannot run leaves nothing behind; an interrupted transfer keeps its partial file for the next try.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from vivid.errors import ConfigError, InputError, ModelError
from vivid.models.registry import list_models
from vivid.zoo.builtin import file_sha256
from vivid.zoo.model_files import MODEL_SUFFIXES, is_model_file_ref, load_model_file

MODELS_DIR_ENV = "VIVID_MODELS_DIR"
RECORD = "model.json"
PARTIAL = ".downloads"
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


def models_dir() -> Path:
    """The folder of your added models (read from the environment when called, never at import)."""
    env = os.environ.get(MODELS_DIR_ENV)
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "vivid" / "models"


@dataclass(frozen=True)
class UserModel:
    """One added model, as ``model.json`` records it."""

    name: str
    file: str
    sha256: str
    size: int
    task: str
    scale: int
    architecture: str
    license: str
    source: str
    added: str
    author: str = ""

    def path(self, folder: Path | None = None) -> Path:
        return (folder or models_dir()) / self.name / self.file

    def ref(self, folder: Path | None = None) -> str:
        """``file:PATH``, the form every loader takes."""
        return f"file:{self.path(folder)}"


def list_user_models(folder: Path | None = None) -> list[UserModel]:
    """Every added model, by name; folders without a readable record are left out."""
    root = folder or models_dir()
    if not root.is_dir():
        return []
    out = []
    for record in sorted(root.glob(f"*/{RECORD}")):
        try:
            out.append(UserModel(**json.loads(record.read_text(encoding="utf-8"))))
        except (OSError, ValueError, TypeError):
            continue
    return out


def find_user_model(name: str, folder: Path | None = None) -> UserModel | None:
    if not _NAME.match(name):
        return None
    record = (folder or models_dir()) / name / RECORD
    if not record.is_file():
        return None
    try:
        return UserModel(**json.loads(record.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        raise ModelError(f"the record of your model {name!r} ({record}) is damaged: "
                         f"run 'vivid models remove {name}' and add it again") from None


def resolve_model_name(name: str | None, folder: Path | None = None) -> str | None:
    """A registered name or a ``file:`` reference unchanged; the name of an added model → ``file:PATH``."""
    if name is None or is_model_file_ref(name) or any(e.name == name for e in list_models()):
        return name
    found = find_user_model(name, folder)
    return found.ref(folder) if found is not None else name


def _check_new_name(name: str, folder: Path, *, overwrite: bool) -> None:
    if not _NAME.match(name):
        raise ConfigError(f"model name {name!r}: use lower-case letters, digits, '.', '_' or '-' "
                          f"(at most 64, starting with a letter or digit), e.g. --name my-upscaler")
    if any(e.name == name for e in list_models()):
        raise ConfigError(f"{name!r} is one of vivid's own models: give yours another --name")
    if (folder / name).exists() and not overwrite:
        raise ConfigError(f"you have a model called {name!r} already: add --overwrite to replace it, "
                          f"or give another --name")


def default_name(file_name: str) -> str:
    """``RealESRGAN_x4plus.pth`` → ``realesrgan_x4plus``."""
    stem = Path(file_name).stem.lower()
    return re.sub(r"[^a-z0-9._-]+", "-", stem).strip("-._")[:64] or "model"


def add_model(
    path: str | Path,
    *,
    name: str | None = None,
    task: str | None = None,
    family: str | None = None,
    license: str | None = None,  # noqa: A002 - the word users know
    author: str = "",
    architecture: str | None = None,
    allow_pickle: bool = False,
    source: str | None = None,
    expected_sha256: str | None = None,
    overwrite: bool = False,
    folder: Path | None = None,
) -> UserModel:
    """Copy the model file ``path`` into your model folder as ``name`` (see the module docstring)."""
    src = Path(path)
    if not src.is_file():
        raise InputError(f"model file {src} does not exist")
    root = folder or models_dir()
    name = name or default_name(src.name)
    _check_new_name(name, root, overwrite=overwrite)
    sha = file_sha256(src)
    if expected_sha256 is not None and sha != expected_sha256.lower():  # checked before anything reads it
        raise ModelError(f"{src.name}: sha256 {sha} is not the expected {expected_sha256}: the file is not "
                         f"the one named; nothing was added")
    restorer = load_model_file(src, task=task, family=family, allow_pickle=allow_pickle)  # refuses what cannot run
    d = restorer.descriptor
    file_name = src.name
    if src.suffix.lower() == ".pb" and family is not None:  # OpenCV graphs are told apart by their names
        file_name = f"{family.upper()}_x{d.scale}.pb"
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=root))
    try:
        shutil.copyfile(src, staging / file_name)
        if file_sha256(staging / file_name) != sha:
            raise ModelError(f"copying {src} into {root} changed its bytes (a disk problem?): nothing was added")
        # d.license: "unknown (user file)", or the official licence of a published method's weights
        record = UserModel(
            name=name, file=file_name, sha256=sha, size=src.stat().st_size, task=d.task, scale=d.scale,
            architecture=architecture or d.provenance.split("; ", 1)[-1], license=license or d.license,
            source=source or str(src.resolve()), added=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            author=author,
        )
        (staging / RECORD).write_text(json.dumps(asdict(record), indent=1) + "\n", encoding="utf-8")
        target = root / name
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return record


def remove_model(name: str, folder: Path | None = None) -> UserModel:
    """Delete your model ``name`` (its folder); vivid's own models cannot be removed."""
    if any(e.name == name for e in list_models()):
        raise ConfigError(f"{name!r} is one of vivid's own models, not one you added: nothing to remove")
    found = find_user_model(name, folder)
    if found is None:
        names = ", ".join(m.name for m in list_user_models(folder)) or "none yet"
        raise ModelError(f"you have no model called {name!r} (yours: {names})")
    shutil.rmtree((folder or models_dir()) / name)
    return found


# --- the catalog and downloads -------------------------------------------------------------------------


def load_catalog(path: Path | None = None) -> dict[str, dict[str, Any]]:
    """The catalog: OpenModelDB-style entries by id (the packaged ``catalog.json`` unless ``path``)."""
    if path is not None:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    return json.loads((resources.files("vivid.zoo") / "catalog.json").read_text(encoding="utf-8"))


def catalog_entry(ref: str, catalog: dict[str, dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    for key, entry in catalog.items():
        if key.lower() == ref.lower():
            return key, entry
    close = difflib.get_close_matches(ref, list(catalog), n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(close)}? " if close else ""
    raise ModelError(f"{ref!r} is neither in the model catalog nor a URL: {hint}"
                     f"run 'vivid models pull --list' for the catalog, or give an https:// URL")


def _resource(key: str, entry: dict[str, Any]) -> dict[str, Any]:
    for r in entry.get("resources", ()):
        if f".{r.get('type', '')}".lower() in MODEL_SUFFIXES and r.get("urls"):
            return r
    raise ModelError(f"catalog entry {key!r} has no file vivid can load (.pth, .safetensors, .pb or .onnx)")


def pull_model(
    ref: str,
    *,
    name: str | None = None,
    task: str | None = None,
    sha256: str | None = None,
    license: str | None = None,  # noqa: A002
    allow_pickle: bool = False,
    overwrite: bool = False,
    catalog: dict[str, dict[str, Any]] | None = None,
    progress: Callable[[int, int | None], None] | None = None,
    timeout: float = 30.0,
    folder: Path | None = None,
) -> UserModel:
    """Download a catalog model (by id) or the model file at ``ref`` (an http(s) URL) and add it."""
    root = folder or models_dir()
    meta: dict[str, Any] = {}
    if re.match(r"^https?://", ref):
        url, size, expected = ref, None, sha256
        file_name = Path(ref.split("?", 1)[0].rstrip("/")).name
        if Path(file_name).suffix.lower() not in MODEL_SUFFIXES:
            raise ConfigError(f"{ref}: the URL does not name a model file ({', '.join(MODEL_SUFFIXES)})")
    else:
        key, meta = catalog_entry(ref, catalog if catalog is not None else load_catalog())
        res = _resource(key, meta)
        url, size, expected = res["urls"][0], res.get("size"), res.get("sha256")
        file_name = Path(url.split("?", 1)[0]).name
        name = name or default_name(key)
    name = name or default_name(file_name)
    _check_new_name(name, root, overwrite=overwrite)
    partial_dir = root / PARTIAL
    partial_dir.mkdir(parents=True, exist_ok=True)
    key = (expected or re.sub(r"[^A-Za-z0-9]+", "_", url))[:80]
    partial = partial_dir / f"{key}.part"
    _download(url, partial, size=size, progress=progress, timeout=timeout)
    got_size = partial.stat().st_size
    if size is not None and got_size != size:
        partial.unlink()
        raise ModelError(f"{url}: downloaded {got_size:,} bytes, the catalog says {size:,}: deleted; try again later")
    named = partial_dir / f"{key}.d" / file_name
    named.parent.mkdir(exist_ok=True)
    os.replace(partial, named)
    try:
        return add_model(named, name=name, task=task, license=license or meta.get("license"),
                         author=_author(meta.get("author")), architecture=meta.get("architecture"),
                         allow_pickle=allow_pickle, source=url, expected_sha256=expected, overwrite=overwrite,
                         folder=root)
    finally:
        shutil.rmtree(named.parent, ignore_errors=True)


def _author(value: Any) -> str:
    return ", ".join(value) if isinstance(value, list) else str(value or "")


def _download(url: str, partial: Path, *, size: int | None, progress: Callable[[int, int | None], None] | None,
              timeout: float) -> None:
    """Fetch ``url`` into ``partial``, resuming from its length; HTTP errors delete it, a broken transfer
    keeps it (the next call resumes)."""
    import http.client
    import urllib.error
    import urllib.request

    have = partial.stat().st_size if partial.exists() else 0
    if size is not None and have == size:
        return
    request = urllib.request.Request(url, headers={"User-Agent": "vivid", **({"Range": f"bytes={have}-"} if have else {})})
    try:
        response = urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 - http(s) only, checked above
    except urllib.error.HTTPError as e:
        if e.code == 416 and have:  # nothing left to fetch: the partial file is whole
            return
        partial.unlink(missing_ok=True)
        raise ModelError(f"downloading {url} failed: HTTP {e.code} {e.reason}; nothing was kept") from None
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise ModelError(f"cannot download {url}: {reason}; check the address and your connection") from None
    with response:
        resumed = response.status == 206
        total = None
        length = response.headers.get("Content-Length")
        if length is not None:
            total = int(length) + (have if resumed else 0)
        done = have if resumed else 0
        try:
            with partial.open("ab" if resumed else "wb") as f:
                while chunk := response.read(1 << 16):
                    f.write(chunk)
                    done += len(chunk)
                    if progress is not None:
                        progress(done, total or size)
        except (OSError, urllib.error.URLError, http.client.HTTPException) as e:
            raise ModelError(f"the download of {url} broke off after {done:,} bytes ({e}): run the same command "
                             f"again to resume") from None
    if total is not None and done < total:
        raise ModelError(f"the download of {url} broke off after {done:,} of {total:,} bytes: run the same "
                         f"command again to resume")
