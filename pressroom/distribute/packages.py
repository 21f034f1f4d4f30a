"""Packages: every copy stamped (in parallel, on the build's executor), the recipients' folders and
zips, and the batch manifest; copies already made with the same inputs are kept."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import io
import json
import logging
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import BuildError, Problem, SourceLocation, display_path
from ..files import atomic_file

if TYPE_CHECKING:

    pass

from .batch import Batch, Made, Planned, stamp_text
from .options import PACKAGE_RE, Options

log = logging.getLogger(__name__)


def _zip_time(date: str) -> tuple[int, int, int, int, int, int]:
    d = max(dt.date.fromisoformat(date), dt.date(1980, 1, 1))
    return (d.year, d.month, d.day, 0, 0, 0)


def write_zip(path: Path, entries: list[tuple[str, Path]], date: str) -> str:
    """A deterministic zip (fixed times and permissions, stored: the PDFs are compressed already), written
    atomically; returns its sha256."""
    digest = hashlib.sha256()
    with atomic_file(path) as f:
        with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED) as z:
            for arcname, src in sorted(entries):
                info = zipfile.ZipInfo(arcname, date_time=_zip_time(date))
                info.external_attr = 0o644 << 16
                info.create_system = 3
                z.writestr(info, src.read_bytes())
        f.flush()
        f.seek(0)
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _previous_copies(folder: Path) -> dict[str, dict]:
    """Copies listed by the batch's existing manifest, by file."""
    path = folder / "manifest.json"
    try:
        return {c["file"]: c for c in json.loads(path.read_text(encoding="utf-8"))["copies"]}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _inside(folder: Path, rel: str) -> Path:
    """`folder/rel`, refusing anything that would land outside `folder`."""
    path = (folder / rel).resolve()
    if folder.resolve() not in path.parents:
        raise BuildError([Problem(SourceLocation.of(folder), f"refused to write outside the batch folder: {rel}")])
    return path


def stamp_key(plan: Planned, text, restricted: bool) -> str:
    """Everything a copy's bytes depend on: when it matches the batch manifest, the copy there is reused."""
    from .stamp import stamper_fingerprint
    parts = [stamper_fingerprint(), plan.source_sha256, text.prepared_for, text.copy, text.date, text.recipient,
             text.copy_number, "restricted" if restricted else "open"]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _sha256_file(path: Path) -> str | None:
    try:
        with open(path, "rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()
    except FileNotFoundError:
        return None


STAMP_CHUNK = 50
"""Copies one stamping task makes: each task clones its edition once, so larger chunks cost less
per copy, smaller ones spread a batch over more workers."""
STAMP_TIMEOUT = 600.0
"""Seconds one stamping task may take."""


@dataclass(frozen=True)
class StampJob:
    """Copies of one edition to stamp in one task."""

    source: Path
    """The built edition's PDF."""
    texts: tuple
    """What each copy says (pressroom.distribute.stamp.StampText)."""
    rels: tuple[str, ...]
    """Where each copy goes in the batch folder, for messages."""


def stamp_copies(job: StampJob) -> list[bytes]:
    """Worker side: the edition cloned once, then each copy stamped and checked (a copy must be as
    accessible as the edition it was made from): the first in full, the others for all that stamping
    can change (stamp.stamping_problems), a third of the time of the full check."""
    from ..pdf.accessibility import check_pdf
    from .stamp import Stamper, stamp_font, stamping_problems
    stamper = Stamper(job.source.read_bytes(), stamp_font())
    out = []
    for text, rel in zip(job.texts, job.rels):
        data = stamper.copy(text)
        unmet = stamping_problems(data) if out else check_pdf(data) + stamping_problems(data)
        if unmet:
            raise BuildError([Problem(SourceLocation.of(job.source), f"accessibility of the copy {rel}: {u}")
                              for u in unmet])
        out.append(data)
    return out


@contextlib.contextmanager
def stamping_executor(opts: Options, copies: int):
    """Where the copies are stamped: here for a handful, forked workers for more, or a dask cluster."""
    from ..build.workers import LocalExecutor
    jobs = opts.jobs or os.cpu_count() or 1
    if opts.executor == "dask":
        from ..build.dask_executor import DaskExecutor
        with DaskExecutor.connect(opts.scheduler, jobs, STAMP_TIMEOUT) as executor:
            yield executor
        return
    yield LocalExecutor(jobs if copies > STAMP_CHUNK else 1, STAMP_TIMEOUT)


def make_packages(batch: Batch, opts: Options, progress=None) -> list[Made]:
    """Stamp every copy, write the recipient folders, their zips and the batch manifest (JSON and CSV).

    A copy that the batch's manifest already lists with the same stamp key and hash is kept as it is:
    a rerun after a failure does not stamp hundreds of copies again, and a restricted copy (whose
    encryption is randomised) stays the very file that was sent. The others are stamped in tasks of
    STAMP_CHUNK copies of one edition each, on the executor the options ask for; the copies are
    written here as each task's come back."""
    from ..build.workers import Task
    from ..files import atomic_write
    from .stamp import restrict
    folder = batch.folder
    folder.mkdir(parents=True, exist_ok=True)
    previous = _previous_copies(folder)
    restricted = bool(opts.owner_password)
    made: dict[int, Made] = {}
    todo: dict[Path, list[tuple[int, object, str]]] = {}  # by edition: (index, text, key)
    kept_all: set[str] = set()
    for i, plan in enumerate(batch.plans):
        text = stamp_text(batch, plan)
        key = stamp_key(plan, text, restricted)
        target = _inside(folder, plan.rel)
        old = previous.get(plan.rel)
        if old and old.get("stamp_key") == key and _sha256_file(target) == old.get("sha256"):
            made[i] = Made(plan, old["sha256"], old["content_sha256"], target.stat().st_size, key)
            kept_all.add(plan.rel)
            if progress:
                progress()
        else:
            todo.setdefault(plan.source, []).append((i, text, key))
    tasks, chunks = [], {}
    for source, items in todo.items():
        for n in range(0, len(items), STAMP_CHUNK):
            chunk = items[n:n + STAMP_CHUNK]
            name = f"stamp:{len(tasks)}"
            chunks[name] = chunk
            job = StampJob(source, tuple(text for _, text, _ in chunk),
                           tuple(batch.plans[i].rel for i, _, _ in chunk))
            tasks.append(Task(name, display_path(source), stamp_copies, (job,), detail="stamping copies"))
    problems: list[Problem] = []

    def done(task, outcome) -> list:
        if outcome[0] != "ok":
            problems.extend(outcome[1])
            return []
        for (i, _, key), data in zip(chunks[task.name], outcome[1]):
            plan = batch.plans[i]
            content_sha = hashlib.sha256(data).hexdigest()
            if restricted:
                data = restrict(data, opts.owner_password)
            atomic_write(_inside(folder, plan.rel), data)
            made[i] = Made(plan, hashlib.sha256(data).hexdigest(), content_sha, len(data), key)
            log.debug("made %s (copy %d of %d)", plan.rel, plan.copy, plan.copies)
            if progress:
                progress()
        return []

    if tasks:
        with stamping_executor(opts, sum(len(c) for c in chunks.values())) as executor:
            executor.run(tasks, None, done, None)
    if problems:
        raise BuildError(problems)
    copies = [made[i] for i in range(len(batch.plans))]
    zips: dict[str, str] = {}
    for name in sorted({m.plan.folder for m in copies}):
        mine = [m for m in copies if m.plan.folder == name]
        path = _inside(folder, f"{name}.zip")
        old_zip = previous.get(mine[0].plan.rel, {}).get("zip_sha256")
        files = {m.plan.rel for m in mine}
        old_files = {rel for rel, c in previous.items() if c.get("folder") == name}
        if files <= kept_all and files == old_files and old_zip and _sha256_file(path) == old_zip:
            zips[name] = old_zip
            continue
        zips[name] = write_zip(path, [(f"{name}/{m.plan.file}", _inside(folder, m.plan.rel)) for m in mine],
                               batch.date)
    _prune(folder, {m.plan.folder for m in copies}, {m.plan.rel for m in copies})
    atomic_write(folder / "manifest.json", manifest_json(batch, copies, zips, restricted))
    atomic_write(folder / "manifest.csv", manifest_csv(copies, zips))
    return copies


def _prune(folder: Path, folders: set[str], files: set[str]) -> None:
    """Remove packages of an earlier run of this batch that the recipients file no longer lists."""
    for entry in sorted(folder.iterdir()):
        if not PACKAGE_RE.match(entry.name):
            continue
        name = entry.name.removesuffix(".zip")
        if entry.is_file() and entry.suffix == ".zip" and name not in folders:
            entry.unlink()
            log.info("removed %s (no longer in the batch)", entry.name)
        elif entry.is_dir() and not entry.is_symlink():
            for pdf in entry.glob("*.pdf"):
                if f"{entry.name}/{pdf.name}" not in files:
                    pdf.unlink()
                    log.info("removed %s/%s (no longer in the batch)", entry.name, pdf.name)
            if name not in folders and not any(entry.iterdir()):
                entry.rmdir()


def manifest_entries(copies: list[Made], zips: dict[str, str]) -> list[dict]:
    """One entry per copy."""
    out = []
    for m in copies:
        p, r = m.plan, m.plan.recipient
        out.append({
            "recipient": r.name, "email": r.email, "audience": r.audience, "edition": p.edition.id,
            "language": p.language, "folder": p.folder, "file": p.rel, "zip": f"{p.folder}.zip",
            "zip_sha256": zips[p.folder], "copy": p.copy, "copies": p.copies, "pages": p.pages, "bytes": m.bytes,
            "sha256": m.sha256, "content_sha256": m.content_sha256, "source_sha256": p.source_sha256,
            "stamp_key": m.stamp_key,
        })
    return out


def manifest_json(batch: Batch, copies: list[Made], zips: dict[str, str], restricted: bool) -> bytes:
    """The batch manifest (deterministic: no clock, no absolute paths)."""
    data = {
        "batch": batch.name,
        "date": batch.date,
        "recipients_file": batch.recipients.path.name,
        "recipients_sha256": batch.recipients.sha256,
        "restricted": restricted,
        "copies": [dict(e, restricted=restricted) for e in manifest_entries(copies, zips)],
    }
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _cell(value) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def manifest_csv(copies: list[Made], zips: dict[str, str]) -> bytes:
    """The batch manifest as CSV, one line per copy."""
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_FIELDS)
    for e in manifest_entries(copies, zips):
        w.writerow([_cell(e[k]) for k in CSV_FIELDS])
    return buf.getvalue().encode("utf-8")


CSV_FIELDS = ("recipient", "email", "audience", "edition", "language", "file", "sha256", "copy", "copies", "zip")
