"""Personalised copies, packages, and sending them to recipients, never twice."""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import hashlib
import io
import json
import logging
import os
import re
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import BuildError, Problem, Problems, SourceLocation, display_path
from ..model import EditionSpec, Publication
from .recipients import (
    Recipient,
    RecipientList,
    editions_for,
    folder_name,
    load_recipients,
    slug,
)

if TYPE_CHECKING:
    from email.headerregistry import Address

    from .mail import SmtpSettings

log = logging.getLogger(__name__)

BATCH_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")
PACKAGE_RE = re.compile(r"^\d{3,}-[a-z0-9-]+(\.zip)?$")
SMTP_PASSWORD_ENV = "SMTP_PASSWORD"
"""Environment variable holding the SMTP password (the only place it is read from)."""
OWNER_PASSWORD_ENV = "PRESSROOM_OWNER_PASSWORD"
"""Environment variable holding the owner password of restricted copies."""
LEDGER_NAME = "ledger.sqlite"
"""The batch's sending ledger."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `build.py distribute`."""
    g = parser.add_argument_group("copies and packages")
    g.add_argument("--recipients", type=Path, required=True, metavar="PATH",
                   help="recipients CSV or YAML file (keep real lists outside git)")
    g.add_argument("--batch", metavar="NAME",
                   help="batch folder under OUT/distribution/ (default: recipients file name and content hash)")
    g.add_argument("--date", metavar="YYYY-MM-DD", help="date printed on the copies (default: the publication date)")
    g.add_argument("--restrict", action="store_true",
                   help=f"forbid editing the copies (owner password from ${OWNER_PASSWORD_ENV})")
    s = parser.add_argument_group("sending (without --send: a dry run that makes the packages and lists the messages)")
    s.add_argument("--send", action="store_true", help="e-mail each recipient their copies")
    s.add_argument("--smtp-host", metavar="HOST", help="SMTP server")
    s.add_argument("--smtp-port", type=int, metavar="PORT", help="SMTP port (default: 587, 465 with tls, 25 with none)")
    s.add_argument("--smtp-security", choices=("starttls", "tls", "none"), default="starttls",
                   help="starttls (default), tls, or none (localhost only, for testing)")
    s.add_argument("--smtp-user", metavar="USER", help=f"SMTP login (password from ${SMTP_PASSWORD_ENV})")
    s.add_argument("--from", dest="sender", metavar="ADDRESS", help="sender: address or 'Name <address>'")
    s.add_argument("--retries", type=int, default=3, metavar="N",
                   help="retries of a message after a temporary failure (default: 3)")
    s.add_argument("--backoff", type=float, default=2.0, metavar="SECONDS",
                   help="first wait before a retry, doubled each time (default: 2)")
    s.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS", help="SMTP timeout (default: 30)")
    s.add_argument("--resend-changed", action="store_true",
                   help="send again the copies whose edition changed since they were sent")
    s.add_argument("--resend-uncertain", action="store_true",
                   help="send again the messages whose last attempt may or may not have been delivered")


@dataclass(frozen=True)
class Options:
    """The distribute command's settings, checked."""

    manuscript: Path
    """Manuscript folder."""
    out: Path
    """Output folder holding the built editions."""
    recipients: Path
    """Recipients file."""
    batch: str | None
    """Batch name, or None for the default."""
    date: str | None
    """Date printed on the copies, or None for the publication date."""
    send: bool = False
    """Send, or only make the packages (dry run)."""
    smtp: SmtpSettings | None = None
    """Where and how to send (with --send)."""
    sender: Address | None = None
    """The sender (with --send)."""
    retries: int = 3
    """Retries after a temporary failure."""
    backoff: float = 2.0
    """First wait between retries, in seconds."""
    resend_changed: bool = False
    """Send again copies whose edition changed."""
    resend_uncertain: bool = False
    """Send again messages whose fate is unknown."""
    owner_password: str | None = field(default=None, repr=False)
    """Owner password of restricted copies (from the environment), or None."""
    quiet: bool = False
    """Print errors only."""
    strict: bool = False
    """Treat warnings as errors."""


def _arg_error(option: str, message: str) -> Problem:
    return Problem(SourceLocation(option), message)


def options_from(args) -> Options:
    """Check the command line and the environment; every problem at once."""
    from .mail import DEFAULT_PORTS, LOCAL_HOSTS, SmtpSettings, parse_sender
    problems: list[Problem] = []
    if args.date is not None:
        try:
            dt.date.fromisoformat(args.date)
        except ValueError:
            problems.append(_arg_error("--date", f"date '{args.date}' is not a date (expected YYYY-MM-DD)"))
    if args.batch is not None and (not BATCH_RE.match(args.batch) or ".." in args.batch):
        problems.append(_arg_error("--batch", f"batch name '{args.batch}' must be letters, digits, dots, dashes "
                                              "and underscores (expected e.g. autumn-2009)"))
    if args.retries < 0:
        problems.append(_arg_error("--retries", f"--retries must be 0 or more (got {args.retries})"))
    if args.backoff < 0:
        problems.append(_arg_error("--backoff", f"--backoff must be 0 or more seconds (got {args.backoff})"))
    owner = None
    if args.restrict:
        owner = os.environ.get(OWNER_PASSWORD_ENV)
        if not owner:
            problems.append(_arg_error("--restrict", f"--restrict needs the owner password in the "
                                                     f"{OWNER_PASSWORD_ENV} environment variable"))
    smtp = sender = None
    if args.send:
        if not args.smtp_host:
            problems.append(_arg_error("--smtp-host", "--send needs --smtp-host (the SMTP server)"))
        if not args.sender:
            problems.append(_arg_error("--from", "--send needs --from (the sender's address)"))
        else:
            try:
                sender = parse_sender(args.sender)
            except BuildError as exc:
                problems.extend(exc.problems)
        if args.smtp_security == "none" and args.smtp_host and args.smtp_host not in LOCAL_HOSTS:
            problems.append(_arg_error("--smtp-security", "--smtp-security none sends the copies and any password "
                                                          "in clear; it is allowed only for localhost "
                                                          "(expected starttls or tls)"))
        password = os.environ.get(SMTP_PASSWORD_ENV) or None
        if args.smtp_user and not password:
            problems.append(_arg_error("--smtp-user", f"--smtp-user needs the password in the {SMTP_PASSWORD_ENV} "
                                                      "environment variable"))
        if args.smtp_port is not None and not 0 < args.smtp_port < 65536:
            problems.append(_arg_error("--smtp-port", f"port {args.smtp_port} is not a TCP port"))
        if not problems:
            smtp = SmtpSettings(args.smtp_host, args.smtp_port or DEFAULT_PORTS[args.smtp_security],
                                args.smtp_security, args.smtp_user, password if args.smtp_user else None,
                                args.timeout, sender.domain)
    if problems:
        raise BuildError(problems)
    return Options(args.manuscript, args.out, args.recipients, args.batch, args.date, args.send, smtp, sender,
                   args.retries, args.backoff, args.resend_changed, args.resend_uncertain, owner,
                   args.quiet, args.strict)


@dataclass(frozen=True)
class Planned:
    """One personalised copy to make: which edition, for whom, which number."""

    recipient: Recipient
    """Who it is for."""
    edition: EditionSpec
    """The edition."""
    language: str
    """Its language."""
    source: Path
    """The built edition in the output folder."""
    source_sha256: str
    """Hash of the built edition, from the build manifest."""
    title: str
    """The edition's title (from the PDF's metadata)."""
    pages: int
    """Page count."""
    copy: int
    """n: the recipient's number among the copies of this edition and language."""
    copies: int
    """N: copies of this edition and language in the batch."""
    folder: str
    """Recipient's folder in the batch."""

    @property
    def file(self) -> str:
        """File name in the recipient's folder (`us-congress.en.pdf`)."""
        return f"{self.edition.id}.{self.language}.pdf"

    @property
    def rel(self) -> str:
        """Path relative to the batch folder."""
        return f"{self.folder}/{self.file}"


@dataclass(frozen=True)
class Made:
    """A personalised copy written to the batch folder."""

    plan: Planned
    """What it is."""
    sha256: str
    """Hash of the file."""
    content_sha256: str
    """Hash of the copy before any encryption (its identity in the ledger)."""
    bytes: int
    """File size."""
    stamp_key: str = ""
    """Hash of everything the copy's bytes depend on (see stamp_key)."""


@dataclass(frozen=True)
class Batch:
    """Everything a run works on, validated."""

    name: str
    """Batch name."""
    folder: Path
    """OUT/distribution/<name>."""
    date: str
    """ISO date printed on the copies."""
    recipients: RecipientList
    """The recipients."""
    plans: tuple[Planned, ...]
    """Copies, in recipient order."""
    publications: dict = field(hash=False)
    """Publication record per language."""


def publication_in(root: Path, language: str, base: Publication) -> Publication:
    """The publication record in a language (translated texts, labels and locale)."""
    from ..load.config import load_publication
    if language == base.language:
        return base
    path = root / language / "publication.yml"
    if path.is_file():
        return load_publication(path, base)
    return replace(base, language=language, locale={"fr": "fr_CA"}.get(language, language))


def prepared_for(template: str, r: Recipient) -> str:
    """The `prepared_for` label filled in; an empty title or office leaves no stray comma."""
    hole = "\x00"
    text = template.format(name=r.name, title=r.title or hole, office=r.office or hole)
    return re.sub(r",?[ \u00a0]*\x00", "", text).strip()


def default_batch_name(recipients: RecipientList) -> str:
    """`<file-name-slug>-<first 12 hex digits of the file's sha256>`: same file, same batch."""
    return f"{slug(recipients.path.stem)}-{recipients.sha256[:12]}"


def load_batch(opts: Options) -> Batch:
    """Read the manuscript settings and the recipients, and find the built editions; all checked at once."""
    from pypdf import PdfReader

    from ..load.config import load_editions, load_publication
    root = opts.manuscript
    publication = load_publication(root / "publication.yml")
    editions = load_editions(root / "editions.yml", publication)
    recipients = load_recipients(opts.recipients, publication, editions)
    if opts.strict and recipients.warnings:
        raise BuildError(recipients.warnings)
    p = Problems()
    built = _built_editions(opts.out, p)
    width = max(3, len(str(len(recipients.recipients))))
    wanted: list[tuple[Recipient, EditionSpec]] = [(r, e) for r in recipients.recipients
                                                   for e in editions_for(r, editions)]
    counts: dict[tuple[str, str], int] = {}
    for r, e in wanted:
        counts[(e.id, r.language)] = counts.get((e.id, r.language), 0) + 1
    sources: dict[tuple[str, str], tuple[Path, str, str, int]] = {}
    manifest_path = opts.out / "manifest.json"
    for (edition_id, language), n in counts.items():
        if built is None:
            break
        entry = built.get((edition_id, language))
        at = [str(r.line) for r, e in wanted if e.id == edition_id and r.language == language]
        lines = ", ".join(at[:5]) + (f" and {len(at) - 5} more" if len(at) > 5 else "")
        needed = f"needed by {n} recipient{'s' if n != 1 else ''}, line{'s' if n != 1 else ''} {lines}"
        if entry is None:
            p.error(manifest_path, None, f"edition '{edition_id}' in '{language}' has not been built ({needed}): "
                                         f"run `python build.py` first")
            continue
        path = opts.out / entry["path"]
        if not path.is_file():
            p.error(path, None, f"file not found ({needed}): run `python build.py` first")
            continue
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != entry.get("sha256"):
            p.error(path, None, f"does not match {display_path(manifest_path)} (changed since the build): "
                                f"run `python build.py` again")
            continue
        meta = PdfReader(io.BytesIO(data)).metadata
        sources[(edition_id, language)] = (path, entry["sha256"], str(meta.title or edition_id) if meta else edition_id,
                                           int(entry.get("pages") or 0))
    p.raise_if_errors()
    seen: dict[tuple[str, str], int] = {}
    plans = []
    for r, e in wanted:
        k = (e.id, r.language)
        seen[k] = seen.get(k, 0) + 1
        path, sha, title, pages = sources[k]
        plans.append(Planned(r, e, r.language, path, sha, title, pages, seen[k], counts[k], folder_name(r, width)))
    name = opts.batch or default_batch_name(recipients)
    publications = {lang: publication_in(root, lang, publication)
                    for lang in sorted({r.language for r in recipients.recipients})}
    return Batch(name, opts.out / "distribution" / name, opts.date or publication.date, recipients,
                 tuple(plans), publications)


def _built_editions(out: Path, p: Problems) -> dict[tuple[str, str], dict] | None:
    path = out / "manifest.json"
    if not path.is_file():
        p.error(path, None, "no build found: run `python build.py` first to build the editions")
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        entries = manifest["outputs"]
    except (ValueError, KeyError, TypeError) as exc:
        p.error(path, None, f"unreadable build manifest ({exc}): run `python build.py` again")
        return None
    return {(e["edition"], e["language"]): e for e in entries if e.get("format") == "pdf"}


def stamp_text(batch: Batch, plan: Planned):
    """What the copy says about its recipient, in the copy's language."""
    from ..render.i18n import format_long_date, labels_for
    from .stamp import StampText
    pub = batch.publications[plan.language]
    labels = labels_for(plan.language, pub.labels)
    r = plan.recipient
    who = ", ".join(x for x in (r.name, r.title, r.office) if x)
    return StampText(prepared_for(labels["prepared_for"], r),
                     labels["copy_of"].format(n=plan.copy, total=plan.copies),
                     format_long_date(batch.date, pub.locale), who, f"{plan.copy}/{plan.copies}")


@dataclass(frozen=True)
class TemplateCopy:
    """A copy as e-mail templates see it (an object, not a dict: `c.copy` must not find dict.copy)."""

    edition: str
    """Edition id."""
    kind: str
    """`report` or `brief`."""
    title: str
    """The edition's title."""
    file: str
    """Attachment file name."""
    copy: int
    """n."""
    copies: int
    """N."""
    pages: int
    """Page count."""


def template_context(batch: Batch, r: Recipient, plans: list[Planned]) -> dict:
    """What an e-mail template can use."""
    from ..render.i18n import format_long_date
    pub = batch.publications[r.language]
    return {
        "recipient": r,
        "audience": pub.audience(r.audience),
        "publication": pub,
        "date": format_long_date(batch.date, pub.locale),
        "copies": [TemplateCopy(p.edition.id, p.edition.kind, p.title, p.file, p.copy, p.copies, p.pages)
                   for p in plans],
        "batch": batch.name,
    }


def check_templates(batch: Batch, root: Path) -> None:
    """Render every recipient's e-mail once, so template problems stop the run before anything is made."""
    from .mail import render_draft
    problems: dict[tuple, Problem] = {}
    for r in batch.recipients.recipients:
        plans = [p for p in batch.plans if p.recipient is r]
        try:
            render_draft(root, r.audience, r.language, template_context(batch, r, plans))
        except BuildError as exc:
            for problem in exc.problems:
                problems.setdefault((problem.location, problem.message), problem)
    if problems:
        raise BuildError(problems.values())


# ---------------------------------------------------------------------------------------------- packages


def _zip_time(date: str) -> tuple[int, int, int, int, int, int]:
    d = max(dt.date.fromisoformat(date), dt.date(1980, 1, 1))
    return (d.year, d.month, d.day, 0, 0, 0)


def write_zip(path: Path, entries: list[tuple[str, Path]], date: str) -> str:
    """A deterministic zip (fixed times and permissions, stored: the PDFs are compressed already), written
    atomically; returns its sha256."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "w+b") as f:
            with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED) as z:
                for arcname, src in sorted(entries):
                    info = zipfile.ZipInfo(arcname, date_time=_zip_time(date))
                    info.external_attr = 0o644 << 16
                    info.create_system = 3
                    z.writestr(info, src.read_bytes())
            f.flush()
            os.fsync(f.fileno())
            f.seek(0)
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
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


def make_packages(batch: Batch, opts: Options, progress=None) -> list[Made]:
    """Stamp every copy, write the recipient folders, their zips and the batch manifest (JSON and CSV).

    A copy that the batch's manifest already lists with the same stamp key and hash is kept as it is:
    a rerun after a failure does not stamp hundreds of copies again, and a restricted copy (whose
    encryption is randomised) stays the very file that was sent."""
    from ..pdf.accessibility import check_pdf
    from ..pdf.layout import atomic_write
    from .stamp import Stamper, restrict, stamp_font
    folder = batch.folder
    folder.mkdir(parents=True, exist_ok=True)
    previous = _previous_copies(folder)
    restricted = bool(opts.owner_password)
    made: dict[int, Made] = {}
    groups: dict[tuple[str, str], list[int]] = {}
    for i, plan in enumerate(batch.plans):
        groups.setdefault((plan.edition.id, plan.language), []).append(i)
    kept_all: set[str] = set()
    for indexes in groups.values():
        stamper = None
        for i in indexes:
            plan = batch.plans[i]
            text = stamp_text(batch, plan)
            key = stamp_key(plan, text, restricted)
            target = _inside(folder, plan.rel)
            old = previous.get(plan.rel)
            if old and old.get("stamp_key") == key and _sha256_file(target) == old.get("sha256"):
                made[i] = Made(plan, old["sha256"], old["content_sha256"], target.stat().st_size, key)
                kept_all.add(plan.rel)
            else:
                if stamper is None:
                    stamper = Stamper(plan.source.read_bytes(), stamp_font())
                data = stamper.copy(text)
                unmet = check_pdf(data)
                if unmet:  # a copy must be as accessible as the edition it was made from
                    raise BuildError([Problem(SourceLocation.of(plan.source), f"accessibility of the copy "
                                              f"{plan.rel}: {u}") for u in unmet])
                content_sha = hashlib.sha256(data).hexdigest()
                if restricted:
                    data = restrict(data, opts.owner_password)
                atomic_write(target, data)
                made[i] = Made(plan, hashlib.sha256(data).hexdigest(), content_sha, len(data), key)
                log.debug("made %s (copy %d of %d)", plan.rel, plan.copy, plan.copies)
            if progress:
                progress()
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


CSV_FIELDS = ("recipient", "email", "audience", "edition", "language", "file", "sha256", "copy", "copies", "zip")


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


# ---------------------------------------------------------------------------------------------- sending


@dataclass(frozen=True)
class Outcome:
    """What happened to one copy in this run."""

    made: Made
    """The copy."""
    status: str
    """`sent`, `already sent`, `changed`, `uncertain`, `failed`, `not attempted`, or `would send` (dry run)."""
    response: str = ""
    """The server's answer or the reason."""


def message_id(batch: Batch, r: Recipient, copies: list[Made], domain: str) -> str:
    """A Message-ID that is the same whenever the same copies go to the same person (receivers may de-duplicate)."""
    key = "\n".join([batch.name, r.key] + sorted(m.content_sha256 for m in copies))
    return f"<pressroom.{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


def _copy_key(m: Made):
    from .ledger import CopyKey
    return CopyKey(m.plan.recipient.key, m.plan.edition.id, m.plan.language, m.content_sha256)


def _by_recipient(copies: list[Made]) -> list[tuple[Recipient, list[Made]]]:
    out: dict[int, tuple[Recipient, list[Made]]] = {}
    for m in copies:
        out.setdefault(m.plan.recipient.index, (m.plan.recipient, []))[1].append(m)
    return list(out.values())


def dry_run(batch: Batch, copies: list[Made]) -> list[Outcome]:
    """What --send would do now, from the ledger if there is one."""
    from .ledger import CHANGED, NEW, SENT, UNCERTAIN, read_states
    states = read_states(batch.folder / LEDGER_NAME, [_copy_key(m) for m in copies])
    names = {NEW: "would send", SENT: "already sent", CHANGED: "changed", UNCERTAIN: "uncertain"}
    return [Outcome(m, names[states[_copy_key(m)]]) for m in copies]


@contextlib.contextmanager
def batch_lock(folder: Path):
    """Hold an exclusive lock on the batch for the whole run, so that two runs cannot both write or send."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / ".lock"
    f = open(path, "a+b")  # noqa: SIM115 - held for the duration of the context
    try:
        try:
            import fcntl
        except ImportError:  # Windows: no advisory locks; a second run is the user's responsibility
            fcntl = None
        if fcntl is not None:
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                raise BuildError([Problem(SourceLocation.of(path), "another `distribute` run is using this "
                                                                   "batch (wait for it to finish)")]) from None
        yield
    finally:
        f.close()


def send_all(batch: Batch, copies: list[Made], opts: Options, root: Path, progress=None) -> list[Outcome]:
    """Send each recipient the copies not sent yet, recording intent and result in the ledger."""
    from .ledger import CHANGED, NEW, SENT, UNCERTAIN, Ledger
    from .mail import (
        ConnectionFailed,
        FatalError,
        Mailer,
        PermanentError,
        SendError,
        TransientError,
        UncertainError,
        build_message,
        render_draft,
    )
    outcomes: list[Outcome] = []
    stop: str | None = None
    mailer = Mailer(opts.smtp)
    with Ledger(batch.folder / LEDGER_NAME) as ledger:
        try:
            for r, made in _by_recipient(copies):
                todo = []
                for m in made:
                    state = ledger.state(_copy_key(m))
                    if state == SENT:
                        outcomes.append(Outcome(m, "already sent"))
                    elif state == CHANGED and not opts.resend_changed:
                        outcomes.append(Outcome(m, "changed", "another version was sent (use --resend-changed)"))
                    elif state == UNCERTAIN and not opts.resend_uncertain:
                        outcomes.append(Outcome(m, "uncertain", "the last attempt may have been delivered: check, "
                                                                "then use --resend-uncertain"))
                    else:
                        assert state in (NEW, CHANGED, UNCERTAIN)
                        todo.append(m)
                if not todo:
                    if progress:
                        progress()
                    continue
                if stop is not None:
                    outcomes += [Outcome(m, "not attempted", stop) for m in todo]
                    if progress:
                        progress()
                    continue
                draft = render_draft(root, r.audience, r.language,
                                     template_context(batch, r, [m.plan for m in todo]))
                attachments = [(m.plan.file, _inside(batch.folder, m.plan.rel).read_bytes()) for m in todo]
                for m, (_, data) in zip(todo, attachments):
                    if hashlib.sha256(data).hexdigest() != m.sha256:
                        raise BuildError([Problem(SourceLocation.of(batch.folder / m.plan.rel),
                                                  "changed since it was made (run distribute again)")])
                mid = message_id(batch, r, todo, opts.sender.domain)
                msg = build_message(draft, opts.sender, r, attachments, mid)
                ids = ledger.intend(mid, r.name, [(_copy_key(m), m.sha256) for m in todo])
                status, response = "failed", ""
                for attempt in range(opts.retries + 1):
                    ledger.attempt(ids)
                    try:
                        response = mailer.send(msg, opts.sender.addr_spec, r.email,
                                               on_transmitted=lambda: ledger.transmitted(ids))
                        status = SENT
                    except UncertainError as exc:
                        status, response = UNCERTAIN, exc.response
                    except FatalError as exc:
                        status, response, stop = "failed", exc.response, f"sending stopped: {exc.response}"
                    except PermanentError as exc:
                        status, response = "failed", exc.response
                    except TransientError as exc:
                        status, response = "failed", exc.response
                        if attempt < opts.retries:
                            ledger.result(ids, "failed", response)
                            wait = opts.backoff * 2 ** attempt
                            log.info("temporary failure for recipient %d (%s); retrying in %.1f s",
                                     r.index, response, wait)
                            time.sleep(wait)
                            continue
                        if isinstance(exc, ConnectionFailed):
                            stop = f"the server could not be reached ({response})"
                    except SendError as exc:  # pragma: no cover - every kind is handled above
                        status, response = "failed", exc.response
                    break
                ledger.result(ids, status, response)
                log.debug("%s: %s", r.email, response)
                label = {SENT: "sent", UNCERTAIN: "uncertain"}.get(status, "failed")
                outcomes += [Outcome(m, label, response) for m in todo]
                if progress:
                    progress()
        finally:
            mailer.close()
    order = {m.plan.rel: i for i, m in enumerate(copies)}
    return sorted(outcomes, key=lambda o: order[o.made.plan.rel])


# ---------------------------------------------------------------------------------------------- command


def _progress(opts: Options):
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )
    console = Console(stderr=True, quiet=opts.quiet)
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=True, disable=opts.quiet)


def _report(batch: Batch, outcomes: list[Outcome], opts: Options) -> None:
    from rich.console import Console
    from rich.table import Table
    console = Console(quiet=opts.quiet, soft_wrap=True)
    rel = display_path(batch.folder)
    title = "Would send (dry run)" if not opts.send else "Distribution"
    t = Table(title=title, title_justify="left")
    for col in ("#", "recipient", "e-mail", "copy", "n/N", "status"):
        t.add_column(col, justify="right" if col in ("#", "n/N") else "left")
    for o in outcomes:
        p = o.made.plan
        t.add_row(str(p.recipient.index), p.recipient.name, p.recipient.email, p.file, f"{p.copy}/{p.copies}",
                  o.status)
    console.print(t)
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    if not opts.send:
        n = len({o.made.plan.recipient.index for o in outcomes if o.status == "would send"})
        console.print(f"Dry run: {n} message{'s' if n != 1 else ''} would be sent "
                      f"({counts.get('would send', 0)} copies; {counts.get('already sent', 0)} already sent). "
                      f"Packages in {rel}/. Add --send to send them.")
        return
    order = ("sent", "already sent", "changed", "uncertain", "failed", "not attempted")
    console.print("Summary: " + ", ".join(f"{counts.get(k, 0)} {k}" for k in order) + f" (copies; batch {rel}/)")


def _print_problems(batch: Batch, outcomes: list[Outcome]) -> None:
    where = display_path(batch.recipients.path)
    for o in outcomes:
        if o.status in ("failed", "not attempted", "changed", "uncertain"):
            p = o.made.plan
            print(f"{where}:{p.recipient.line}: {p.file} {o.status}: {o.response}", file=sys.stderr)


def run(args) -> int:
    """Run the distribute command: validate, make the packages, then (with --send) send; the exit code."""
    opts = options_from(args)
    batch = load_batch(opts)
    for w in batch.recipients.warnings:
        print(w.format(with_severity=True), file=sys.stderr)
    check_templates(batch, opts.manuscript)
    with batch_lock(batch.folder):
        with _progress(opts) as progress:
            task = progress.add_task("Stamping copies", total=len(batch.plans))
            copies = make_packages(batch, opts, lambda: progress.advance(task))
        if not opts.send:
            _report(batch, dry_run(batch, copies), opts)
            return 0
        with _progress(opts) as progress:
            task = progress.add_task("Sending", total=len(_by_recipient(copies)))
            outcomes = send_all(batch, copies, opts, opts.manuscript, lambda: progress.advance(task))
    _report(batch, outcomes, opts)
    _print_problems(batch, outcomes)
    return 0 if all(o.status in ("sent", "already sent") for o in outcomes) else 1
