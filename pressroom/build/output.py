"""Writing the output folder as one transaction: stage every file, journal, then rename into place.

A build killed at any moment leaves `dist/` with the previous complete outputs (killed before the
journal is written) or, once the next pressroom command has rolled the journal forward, the new
complete ones. The renames themselves take a few milliseconds; the journal covers a kill among them.

Outputs a build no longer makes (an edition or a language taken out of editions.yml, a web edition
turned off) are removed in the same transaction. pressroom removes only files it wrote itself: the
list of them is kept in `.cache/outputs.json` (or, when that is gone, taken from the previous
manifest), so a file someone else put into the output folder stays."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from ..errors import BuildError, Problem, SourceLocation
from ..files import atomic_write

JOURNAL = "commit.json"
RECORD = "outputs.json"
"""Under `<out>/.cache/`: every file the last commit left in the output folder (relative paths)."""
ALWAYS = ("manifest.json", "inclusion.json")


def _work(out: Path) -> Path:
    return out / ".cache" / "commit"


def recover(out: Path) -> None:
    """Finish a commit that was cut short, or drop one that never reached its journal."""
    work = _work(out)
    journal = work / JOURNAL
    if journal.is_file():
        try:
            plan = json.loads(journal.read_text())
        except ValueError:
            plan = None
        if isinstance(plan, list):  # the journal of an older pressroom: files to move into place
            plan = {"replace": plan}
        if isinstance(plan, dict):
            for rel in plan.get("replace", []):
                staged = work / "files" / rel
                if staged.is_file():
                    (out / rel).parent.mkdir(parents=True, exist_ok=True)
                    os.replace(staged, out / rel)
            for rel in plan.get("remove", []):
                _remove(out, rel)
            if "record" in plan:
                atomic_write(out / ".cache" / RECORD, json.dumps(plan["record"]).encode())
    if work.exists():
        shutil.rmtree(work, ignore_errors=True)


def _safe(rel: str) -> bool:
    """Whether a recorded path names a file of the output folder that pressroom may remove."""
    parts = Path(rel).parts
    return bool(parts) and not Path(rel).is_absolute() and ".." not in parts and parts[0] != ".cache"


def _remove(out: Path, rel: str) -> None:
    """Remove an output, and the folders it leaves empty (never the output folder itself)."""
    if not _safe(rel):
        return
    target = out / rel
    try:
        target.unlink()
    except FileNotFoundError:
        pass
    folder = target.parent
    while folder != out and out in folder.parents:
        try:
            folder.rmdir()  # only when empty
        except OSError:
            break
        folder = folder.parent


def _listed(data: bytes | None) -> set[str]:
    """The paths a manifest lists."""
    try:
        return {e["path"] for e in json.loads(data)["outputs"] if isinstance(e.get("path"), str)}
    except (TypeError, ValueError, KeyError, AttributeError):
        return set()


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def stale_outputs(out: Path, files: dict[str, bytes], partial: bool) -> tuple[set[str], set[str]]:
    """(the files of the previous build this one no longer makes, every file pressroom will own
    after this commit).

    A full build owns exactly what it writes. A partial build (`--edition`, `--language`) also keeps
    the outputs its manifest still lists (those of the editions it did not build) and the support
    files (web.css, fonts/) the earlier build wrote."""
    previous_listed = _listed(_read(out / "manifest.json"))
    try:
        owned = set(json.loads(_read(out / ".cache" / RECORD) or b"null") or ())
    except ValueError:
        owned = set()
    owned = {rel for rel in owned | previous_listed if isinstance(rel, str) and _safe(rel)}
    keep = set(files)
    if partial:
        keep |= _listed(files.get("manifest.json"))
        keep |= owned - previous_listed - set(ALWAYS)
    stale = {rel for rel in owned - keep if (out / rel).is_file()}
    return stale, (owned | set(files)) - stale


def commit(out: Path, files: dict[str, bytes], partial: bool = False) -> None:
    """Replace the outputs named in `files` (relative path -> bytes), `manifest.json` last, and remove
    the outputs of the previous build this one no longer makes (see stale_outputs; `partial`: a
    build of some editions or languages only).

    Files whose bytes are unchanged are left alone (and keep their time stamps)."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        recover(out)
        stale, owned = stale_outputs(out, files, partial)
        work = _work(out)
        changed = []
        for rel, data in files.items():
            target = out / rel
            if target.is_file() and target.stat().st_size == len(data) and target.read_bytes() == data:
                continue
            atomic_write(work / "files" / rel, data)
            changed.append(rel)
        changed.sort(key=lambda rel: rel == "manifest.json")
        plan = {"replace": changed, "remove": sorted(stale), "record": sorted(owned)}
        atomic_write(work / (JOURNAL + ".tmp"), json.dumps(plan).encode())
        os.replace(work / (JOURNAL + ".tmp"), work / JOURNAL)  # the commit point
        recover(out)
    except OSError as exc:
        where = getattr(exc, "filename", None) or out
        raise BuildError([Problem(SourceLocation.of(out), f"cannot write the output: {exc.strerror or exc} "
                                                          f"({where}; check free space and permissions)")]) from None
