"""Writing the output folder as one transaction: stage every file, journal, then rename into place.

A build killed at any moment leaves `dist/` with the previous complete outputs (killed before the
journal is written) or, once the next pressroom command has rolled the journal forward, the new
complete ones. The renames themselves take a few milliseconds; the journal covers a kill among them."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from ..errors import BuildError, Problem, SourceLocation
from ..files import atomic_write

JOURNAL = "commit.json"


def _work(out: Path) -> Path:
    return out / ".cache" / "commit"


def recover(out: Path) -> None:
    """Finish a commit that was cut short, or drop one that never reached its journal."""
    work = _work(out)
    journal = work / JOURNAL
    if journal.is_file():
        try:
            rels = json.loads(journal.read_text())
        except ValueError:
            rels = None
        if rels is not None:
            for rel in rels:
                staged = work / "files" / rel
                if staged.is_file():
                    (out / rel).parent.mkdir(parents=True, exist_ok=True)
                    os.replace(staged, out / rel)
    if work.exists():
        shutil.rmtree(work, ignore_errors=True)


def commit(out: Path, files: dict[str, bytes]) -> None:
    """Replace the outputs named in `files` (relative path -> bytes); `manifest.json` goes last.

    Files whose bytes are unchanged are left alone (and keep their time stamps)."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        recover(out)
        work = _work(out)
        changed = []
        for rel, data in files.items():
            target = out / rel
            if target.is_file() and target.stat().st_size == len(data) and target.read_bytes() == data:
                continue
            atomic_write(work / "files" / rel, data)
            changed.append(rel)
        changed.sort(key=lambda rel: rel == "manifest.json")
        atomic_write(work / (JOURNAL + ".tmp"), json.dumps(changed).encode())
        os.replace(work / (JOURNAL + ".tmp"), work / JOURNAL)  # the commit point
        recover(out)
    except OSError as exc:
        where = getattr(exc, "filename", None) or out
        raise BuildError([Problem(SourceLocation.of(out), f"cannot write the output: {exc.strerror or exc} "
                                                          f"({where}; check free space and permissions)")]) from None
