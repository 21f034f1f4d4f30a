"""Recipients of personalised copies: read a CSV or YAML list and check every row before anything is made."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ..errors import BuildError, Problem, Problems, describe, expected, suggest
from ..load.yamlfile import LineDict, LineList, parse_yaml, read_text
from ..model import EditionSpec, Publication
from .stamp import TRANSLITERATIONS, UnprintableError, printable

COLUMNS = ("name", "title", "office", "country", "audience", "language", "email")
"""Columns every recipients file has, in this order in the example."""
OPTIONAL_COLUMNS = ("send",)
"""Columns a recipients file may add."""
REQUIRED = ("name", "country", "audience", "language", "email")
"""Columns that may not be left empty (a title or an office may)."""
SEND_CHOICES = ("brief", "report", "both")
"""What a recipient can be sent."""
MAX_FIELD = 200
"""Longest field accepted, in characters."""

EMAIL_RE = re.compile(
    r"^(?!\.)(?!.*\.\.)[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}(?<!\.)"
    r"@(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")
COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
# Bidirectional controls reorder what a reader sees (spoofing); line and paragraph separators break headers.
FORBIDDEN = {"\u2028", "\u2029", "\u0085"} | {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}
COLUMN_HELP = "columns: " + ", ".join(COLUMNS) + ", and optionally send"


@dataclass(frozen=True)
class Recipient:
    """One person on the list, as validated."""

    index: int
    """Position in the list, from 1 (numbers the folders: `003-jane-doe`)."""
    line: int
    """Line in the recipients file, for messages."""
    name: str
    """Full name, as printed on the copy."""
    title: str
    """Position or honorific title, or empty."""
    office: str
    """Office, committee or organisation, or empty."""
    country: str
    """Two-letter country code (`CA`, `US`)."""
    audience: str
    """Audience id from publication.yml."""
    language: str
    """Language of the copies and the e-mail."""
    email: str
    """E-mail address."""
    send: str = "brief"
    """`brief`, `report` or `both`."""

    @property
    def key(self) -> str:
        """Identity in the ledger and for duplicates: the address, lower-cased."""
        return self.email.lower()


@dataclass(frozen=True)
class RecipientList:
    """A validated recipients file."""

    path: Path
    """The file."""
    sha256: str
    """Hash of its bytes (names the default batch)."""
    recipients: tuple[Recipient, ...]
    """Recipients, in file order."""
    warnings: tuple[Problem, ...] = ()
    """Non-fatal problems (names transliterated on the stamp)."""


def slug(text: str, limit: int = 40) -> str:
    """Lower-case ASCII letters, digits and dashes only (`../../Zoë O'Neil` -> `zoe-o-neil`)."""
    latin = "".join(TRANSLITERATIONS.get(c, c) for c in text)
    ascii_text = unicodedata.normalize("NFKD", latin).encode("ascii", "ignore").decode()
    s = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return s[:limit].rstrip("-") or "recipient"


def folder_name(r: Recipient, width: int = 3) -> str:
    """Folder of a recipient's copies: index and slug, never the raw name."""
    return f"{r.index:0{width}d}-{slug(r.name)}"


def brief_for(audience: str, editions: tuple[EditionSpec, ...]) -> EditionSpec | None:
    """The brief edition of an audience, if editions.yml has one."""
    return next((e for e in editions if e.kind == "brief" and e.audience == audience), None)


def report_of(editions: tuple[EditionSpec, ...]) -> EditionSpec | None:
    """The full report edition."""
    return next((e for e in editions if e.kind == "report" and e.audience is None), None) or \
        next((e for e in editions if e.kind == "report"), None)


def editions_for(r: Recipient, editions: tuple[EditionSpec, ...]) -> tuple[EditionSpec, ...]:
    """The editions a recipient is sent, brief first."""
    out = []
    if r.send in ("brief", "both"):
        out.append(brief_for(r.audience, editions))
    if r.send in ("report", "both"):
        out.append(report_of(editions))
    return tuple(e for e in out if e is not None)


def control_character(value: str) -> str | None:
    """The first newline, control or bidirectional character of `value`, or None."""
    for char in value:
        if unicodedata.category(char) == "Cc" or char in FORBIDDEN:
            return char
    return None


def load_recipients(path: Path, publication: Publication, editions: tuple[EditionSpec, ...]) -> RecipientList:
    """Read and check a recipients file; every problem is raised at once as a BuildError."""
    if not path.is_file():
        raise BuildError.at(path, None, "file not found (expected a recipients list: CSV or YAML)")
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".yml", ".yaml"):
        raise BuildError.at(path, None, f"unknown recipients format '{path.suffix}' (expected .csv, .yml or .yaml)")
    data = path.read_bytes()
    text = read_text(path)
    p = Problems()
    rows = _csv_rows(path, text, p) if suffix == ".csv" else _yaml_rows(path, text, p)
    recipients = _check_rows(path, rows, publication, editions, p)
    if not rows and not p.errors:
        p.error(path, None, "no recipients (expected a header line and one line per recipient)")
    p.raise_if_errors()
    return RecipientList(path, hashlib.sha256(data).hexdigest(), tuple(recipients), tuple(p.warnings))


def _csv_rows(path: Path, text: str, p: Problems) -> list[tuple[int, dict]]:
    """(line, {column: value}) for each data row; `#` lines and blank lines are skipped."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    header_line, header_ok = 0, True
    rows = []
    start = 1
    try:
        for record in reader:
            line, start = start, reader.line_num + 1
            if not record or all(not c.strip() for c in record) or record[0].lstrip().startswith("#"):
                continue
            if header is None:
                header, header_line = [c.strip().lower() for c in record], line
                allowed = COLUMNS + OPTIONAL_COLUMNS
                before = len(p.errors)
                for c in header:
                    if c not in allowed:
                        p.error(path, line, f"unknown column {c!r}{suggest(c, allowed)} (expected {COLUMN_HELP})")
                for c in COLUMNS:
                    if c not in header:
                        p.error(path, line, f"missing column '{c}' (expected {COLUMN_HELP})")
                seen = set()
                for c in header:
                    if c in seen:
                        p.error(path, line, f"duplicate column {c!r}")
                    seen.add(c)
                header_ok = len(p.errors) == before
                continue
            if not header_ok:
                continue  # the header's problems are reported once, not again on every row
            if len(record) != len(header):
                p.error(path, line, f"{len(record)} fields, expected {len(header)} like the header on line "
                                    f"{header_line} (quote fields that contain commas)")
                continue
            rows.append((line, dict(zip(header, record))))
    except csv.Error as exc:
        p.error(path, start, f"invalid CSV: {exc}")
    if header is None:
        p.error(path, 1, f"missing header line (expected {COLUMN_HELP})")
    return rows


def _yaml_rows(path: Path, text: str, p: Problems) -> list[tuple[int, dict]]:
    """(line, {column: value}) for each item of a YAML list (or of a `recipients:` list)."""
    data = parse_yaml(text, path)
    if isinstance(data, LineDict) and "recipients" in data:
        for key in data:
            if key != "recipients":
                p.error(path, data.line_of(key), f"unknown key '{key}' (expected only 'recipients')")
        data = data["recipients"]
    if not isinstance(data, LineList):
        p.error(path, getattr(data, "line", 1) or 1,
                "expected a list of recipients ('- name: ...' items, or 'recipients:' and such a list)")
        return []
    rows = []
    allowed = COLUMNS + OPTIONAL_COLUMNS
    for i, item in enumerate(data):
        line = data.item_lines[i]
        if not isinstance(item, LineDict):
            p.error(path, line, "each recipient must be a mapping (expected '- name: ...' and the other fields)")
            continue
        row, ok = {}, True
        for key, value in item.items():
            if key not in allowed:
                p.error(path, item.line_of(key), f"unknown key '{key}'{suggest(str(key), allowed)} "
                                                 f"(expected {COLUMN_HELP})")
                continue
            if value is None:
                value = ""
            if not isinstance(value, str):
                p.error(path, item.line_of(key), f"'{key}' must be text (got {describe(value)}; "
                                                 "put the value in quotes)")
                ok = False
                continue
            row[key] = value
        if ok:
            rows.append((line, row))
    return rows


def _check_rows(path: Path, rows: list[tuple[int, dict]], publication: Publication,
                editions: tuple[EditionSpec, ...], p: Problems) -> list[Recipient]:
    audiences = [a.id for a in publication.audiences]
    by_email: dict[str, int] = {}
    out = []
    for line, row in rows:
        bad = False
        values = {}
        for column in COLUMNS + OPTIONAL_COLUMNS:
            value = row.get(column, "")
            char = control_character(value)
            if char is not None:
                p.error(path, line, f"{column} contains a control character (U+{ord(char):04X}); newlines and "
                                    "control characters are not allowed")
                bad = True
                continue
            value = unicodedata.normalize("NFC", value.strip())
            if len(value) > MAX_FIELD:
                p.error(path, line, f"{column} is {len(value)} characters long (expected at most {MAX_FIELD})")
                bad = True
            values[column] = value
        if bad:
            continue
        for column in REQUIRED:
            if not values[column] and column in row:
                p.error(path, line, f"missing {column}")
                bad = True
            elif column not in row:
                p.error(path, line, f"missing {column} (expected {COLUMN_HELP})")
                bad = True
        if bad:
            continue
        email, audience, language = values["email"], values["audience"], values["language"]
        country, send = values["country"], values["send"] or "brief"
        if not EMAIL_RE.match(email):
            p.error(path, line, f"e-mail address '{email}' is not valid (expected name@domain, e.g. "
                                "jane.doe@example.org)")
            bad = True
        elif email.lower() in by_email:
            p.error(path, line, f"duplicate recipient '{email}' (already on line {by_email[email.lower()]})")
            bad = True
        else:
            by_email[email.lower()] = line
        if not COUNTRY_RE.match(country):
            p.error(path, line, f"country '{country}' is not a two-letter code (expected e.g. CA or US)")
            bad = True
        if send not in SEND_CHOICES:
            p.error(path, line, f"unknown send '{send}'{suggest(send, SEND_CHOICES)} "
                                f"(expected {expected(SEND_CHOICES)})")
            bad = True
        if audience not in audiences:
            p.error(path, line, f"unknown audience '{audience}'{suggest(audience, audiences)} "
                                f"(expected {expected(audiences)})")
            bad = True
        for column in ("name", "title", "office"):
            value = values[column]
            try:
                shown = printable(value)
            except UnprintableError as exc:
                p.error(path, line, f"{column} '{value}' has a character the stamp cannot print: {exc} "
                                    "(write it in Latin letters)")
                bad = True
                continue
            if shown != value:
                p.warning(path, line, f"{column} '{value}' is printed as '{shown}' on the copies "
                                      "(the stamp font has Western European letters only)")
        if bad:
            continue
        r = Recipient(len(out) + 1, line, values["name"], values["title"], values["office"], country, audience,
                      language, email, send)
        if send in ("brief", "both") and brief_for(audience, editions) is None:
            p.error(path, line, f"audience '{audience}' has no brief in editions.yml (expected send: report)")
            continue
        if send in ("report", "both") and report_of(editions) is None:
            p.error(path, line, "editions.yml has no report edition (expected send: brief)")
            continue
        for edition in editions_for(r, editions):
            if language not in edition.languages:
                p.error(path, line, f"language '{language}' is not available for the {edition.kind} "
                                    f"'{edition.id}' (expected {expected(edition.languages)})")
                bad = True
        if not bad:
            out.append(r)
    return out
