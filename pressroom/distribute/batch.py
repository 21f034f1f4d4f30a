"""A batch: who receives which editions, read and checked against the build, before anything is stamped."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import BuildError, Problem, Problems, display_path
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

    pass

from .options import Options

log = logging.getLogger(__name__)


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
                                         f"run `pressroom` first")
            continue
        path = opts.out / entry["path"]
        if not path.is_file():
            p.error(path, None, f"file not found ({needed}): run `pressroom` first")
            continue
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != entry.get("sha256"):
            p.error(path, None, f"does not match {display_path(manifest_path)} (changed since the build): "
                                f"run `pressroom` again")
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
        p.error(path, None, "no build found: run `pressroom` first to build the editions")
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        entries = manifest["outputs"]
    except (ValueError, KeyError, TypeError) as exc:
        p.error(path, None, f"unreadable build manifest ({exc}): run `pressroom` again")
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
