"""What a cluster batch finished, kept in its output folder as ``vivid-manifest.jsonl``.

One JSON object per output (the last word on it), the output named relative to the folder (so the folder
can be moved or copied with its manifest)::

    {"output": "a.png", "input": "s3://in/a.png", "input_sha256": "9f2c...",
     "input_fingerprint": "48213:1733500000.0", "plan_hash": "1c0e...", "status": "done",
     "attempts": 1, "error": null, "plan": ["sr x2"], "models": ["vivid-sr"], "seconds": 0.42}

A rerun skips an item whose output exists and whose entry is ``done`` with the same ``plan_hash`` and the
same input: the same listing fingerprint (size and change time) decides without reading the input; a
different fingerprint sends the item to a worker, which hashes the input and skips the work when the
content hash is the one recorded. ``plan_hash`` covers every option that changes the output (and vivid's
version), so changing one reruns everything.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from vivid import __version__
from vivid.cluster import storage

MANIFEST_NAME = "vivid-manifest.jsonl"
DONE, FAILED = "done", "failed"


@dataclass
class Entry:
    output: str
    input: str
    input_sha256: str | None
    input_fingerprint: str
    plan_hash: str
    status: str
    attempts: int = 1
    error: str | None = None
    plan: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    seconds: float | None = None


def plan_hash(options: dict[str, Any]) -> str:
    """A hash of the options that decide an output's pixels and bytes (plus vivid's version)."""
    text = json.dumps({"vivid": __version__, **options}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


class Manifest:
    """The entries of one output folder, read at the start of a batch and rewritten (atomically) as it goes."""

    def __init__(self, output_root: str) -> None:
        self.root = output_root.rstrip("/") + "/"
        self.location = storage.join(output_root, MANIFEST_NAME)
        self.parts = storage.parts_folder(output_root)
        self.entries: dict[str, Entry] = {}

    def load(self) -> Manifest:
        """Read the manifest (missing: empty); a line that does not parse is dropped (its item reruns)."""
        text = storage.read_text(self.location)
        for line in (text or "").splitlines():
            try:
                e = Entry(**json.loads(line))
            except (ValueError, TypeError):
                continue
            self.entries[e.output] = e
        return self

    def key(self, output: str) -> str:
        """An output's name in the manifest: its path inside the output folder."""
        return output[len(self.root):] if output.startswith(self.root) else output

    def get(self, output: str) -> Entry | None:
        return self.entries.get(self.key(output))

    def finished(self, *, output: str, fingerprint: str, plan: str, present: bool) -> bool:
        """Whether an item is done already, judged without reading its input."""
        e = self.get(output)
        return (present and e is not None and e.status == DONE and e.plan_hash == plan
                and e.input_fingerprint == fingerprint)

    def known_hash(self, *, output: str, plan: str) -> str | None:
        """The input hash of an item done under the same plan (a worker skips it if the content matches)."""
        e = self.get(output)
        return e.input_sha256 if e is not None and e.status == DONE and e.plan_hash == plan else None

    def record(self, entry: Entry) -> None:
        """Keep ``entry`` (its ``output`` named by :meth:`key`)."""
        self.entries[entry.output] = entry

    def save(self) -> None:
        text = "".join(json.dumps(asdict(e), ensure_ascii=False) + "\n" for e in self.entries.values())
        storage.write_text(self.location, text, parts=self.parts)
