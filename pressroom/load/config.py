"""Load and check `publication.yml` and `editions.yml`; unknown keys are errors."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

from ..errors import BuildError, Problems, describe, expected, suggest
from ..model import Audience, EditionSpec, Epigraph, Publication, Rubric
from .yamlfile import LineDict, LineList, load_yaml_file

PUBLICATION_KEYS = {
    "title": "the main title",
    "subtitle": "subtitle",
    "authors": "list of authors",
    "organisation": "issuing organisation",
    "publisher": "publisher line",
    "date": "publication date, YYYY-MM-DD",
    "version": "version string",
    "language": "original language code",
    "languages": "every language, original first",
    "locale": "locale for dates and numbers",
    "audiences": "list of {id, label, short}",
    "rubrics": "list of {id, label, order}",
    "epigraph": "{text, attribution, source}",
    "licence": "licence statement",
    "subject": "PDF subject",
    "keywords": "PDF keywords",
    "page_size": "letter or a4",
    "website": "download address",
    "contact": "contact line",
    "labels": "overrides of generated texts",
    "chapters": "a book folder's chapter files, in order (paths or patterns such as '*.md')",
    "edition_note": "what this edition is, for the colophon",
    "blurb": "summary for the back cover",
}
TRANSLATED_PUBLICATION_KEYS = {
    "title", "subtitle", "publisher", "version", "licence", "subject", "keywords", "epigraph",
    "audiences", "rubrics", "labels", "contact", "source_sha256", "organisation", "locale",
    "edition_note", "blurb",
}
EDITION_KEYS = {
    "id": "edition identifier",
    "kind": "report or brief",
    "audience": "audience id, or null for the full report",
    "languages": "languages to build",
    "contents": "sections, in order",
    "recommendations": "all, audience, none, or a list of ids",
    "stylesheet": "stylesheet in styles/",
    "page_budget": "most pages allowed",
    "web": "also write an HTML edition",
}
ID_RE = re.compile(r"^[a-z][a-z0-9-]*$")
LANG_RE = re.compile(r"^[a-z]{2}$")


def _str(p: Problems, path: Path, data: LineDict, key: str, default: str | None = "") -> str:
    value = data.get(key, default)
    if value is None and default is None:
        p.error(path, data.line, f"missing '{key}' (expected {PUBLICATION_KEYS.get(key, key)})")
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        p.error(path, data.line_of(key), f"'{key}' must be text (got {describe(value)}; "
                                         f"expected text: {PUBLICATION_KEYS.get(key, key)})")
        return ""
    return value.strip()


def _str_list(p: Problems, path: Path, data: LineDict, key: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        p.error(path, data.line_of(key), f"'{key}' must be a list of texts (got {describe(value)}; "
                                         f"expected e.g. {key}: [a, b])")
        return ()
    return tuple(value)


def check_keys(p: Problems, path: Path, data: LineDict, allowed, what: str, noun: str = "key") -> None:
    """An error for each key of `data` not in `allowed`, at its line, with the closest allowed one."""
    for key in data:
        if key not in allowed:
            p.error(path, data.line_of(key),
                    f"unknown {noun} '{key}' in {what}{suggest(str(key), allowed)} "
                    f"(expected {expected(allowed)})")


def default_date() -> str:
    """The date used when the manuscript gives none: SOURCE_DATE_EPOCH, or 1980-01-01."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date().isoformat()
    return "1980-01-01"


def load_publication(path: Path, base: Publication | None = None) -> Publication:
    """Read `publication.yml`; with `base`, read a translation that overrides its texts."""
    p = Problems()
    if not path.is_file():
        raise BuildError.at(path, None, "file not found (expected the publication's settings)")
    data = load_yaml_file(path)
    if not isinstance(data, LineDict):
        raise BuildError.at(path, 1, "must be a mapping of settings (expected 'key: value' lines)")
    allowed = TRANSLATED_PUBLICATION_KEYS if base else PUBLICATION_KEYS
    check_keys(p, path, data, allowed, path.name)

    if base is None:
        title = _str(p, path, data, "title", None)
        language = _str(p, path, data, "language", None)
        if language and not LANG_RE.match(language):
            p.error(path, data.line_of("language"), f"language '{language}' is not a two-letter code (expected e.g. 'en')")
        languages = _str_list(p, path, data, "languages") or (language,)
        for lang in languages:
            if lang != language and not LANG_RE.match(lang):
                p.error(path, data.line_of("languages"), f"language '{lang}' is not a two-letter code (expected e.g. 'fr')")
        if language and languages and languages[0] != language:
            p.error(path, data.line_of("languages"), f"'languages' must start with the original language '{language}'")
        before = len(p.items)
        dated = data.get("date") is not None
        date = _str(p, path, data, "date", default_date())
        try:
            if len(p.items) == before:
                dt.date.fromisoformat(date)
        except ValueError:
            p.error(path, data.line_of("date"), f"date '{date}' is not a date (expected YYYY-MM-DD, "
                                                f"e.g. {_iso_guess(date) or '2009-09-21'})")
        page_size = _str(p, path, data, "page_size", "letter").lower()
        if page_size not in ("letter", "a4"):
            p.error(path, data.line_of("page_size"), f"page_size '{page_size}' is unknown (expected letter or a4)")
    else:
        title = _str(p, path, data, "title", base.title)
        language = path.parent.name
        languages, date, page_size = base.languages, base.date, base.page_size
        dated = base.dated

    audiences = _audiences(p, path, data, base)
    rubrics = _rubrics(p, path, data, base)
    epigraph = _epigraph(p, path, data) if "epigraph" in data else (base.epigraph if base else None)
    labels = data.get("labels", {}) or {}
    if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
        p.error(path, data.line_of("labels"), "'labels' must map label names to texts (expected e.g. labels: {contents: Contents})")
        labels = {}
    fallback = base or None
    locale_default = {"en": "en_CA", "fr": "fr_CA"}.get(language, language)
    # Every field is read before raising, so that each problem is reported, not only the first ones.
    fields = dict(
        subtitle=_str(p, path, data, "subtitle", fallback.subtitle if fallback else ""),
        authors=_str_list(p, path, data, "authors") if base is None else base.authors,
        organisation=_str(p, path, data, "organisation", fallback.organisation if fallback else ""),
        publisher=_str(p, path, data, "publisher", fallback.publisher if fallback else ""),
        version=_str(p, path, data, "version", fallback.version if fallback else ""),
        locale=_locale(p, path, data, locale_default),
        licence=_str(p, path, data, "licence", fallback.licence if fallback else ""),
        subject=_str(p, path, data, "subject", fallback.subject if fallback else ""),
        keywords=_str_list(p, path, data, "keywords") if "keywords" in data or not base else base.keywords,
        website=_str(p, path, data, "website", "") if base is None else base.website,
        contact=_str(p, path, data, "contact", fallback.contact if fallback else ""),
        chapters=_str_list(p, path, data, "chapters") if base is None else base.chapters,
        dated=dated,
        edition_note=_str(p, path, data, "edition_note", fallback.edition_note if fallback else ""),
        blurb=_str(p, path, data, "blurb", fallback.blurb if fallback else ""),
    )
    p.raise_if_errors()
    return Publication(
        title=title,
        date=date,
        language=language,
        languages=tuple(languages),
        audiences=audiences,
        rubrics=rubrics,
        epigraph=epigraph,
        page_size=page_size,
        labels=tuple(sorted({**dict(base.labels if base else ()), **labels}.items())),
        **fields,
    )


def _iso_guess(text: str) -> str | None:
    """`2009-09-21` for `21/09/2009` or `09/21/2009` when the reading is unambiguous."""
    m = re.match(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$", text.strip())
    if not m:
        return None
    a, b, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
    for day, month in ((a, b), (b, a)):
        if a != b and day > 12 >= month:
            try:
                return dt.date(year, month, day).isoformat()
            except ValueError:
                return None
    return None


def _locale(p: Problems, path: Path, data: LineDict, default: str) -> str:
    before = len(p.items)
    value = _str(p, path, data, "locale", default)
    if len(p.items) > before:
        return default
    import babel
    try:
        babel.Locale.parse(value)
    except (ValueError, TypeError, babel.UnknownLocaleError):
        p.error(path, data.line_of("locale"), f"locale '{value}' is unknown (expected a locale such as en_CA or fr_CA)")
        return default
    return value


def _audiences(p: Problems, path: Path, data: LineDict, base: Publication | None) -> tuple[Audience, ...]:
    raw = data.get("audiences")
    if raw is None:
        return base.audiences if base else ()
    if base is not None:
        # A translation maps audience id -> label (or {label, short}).
        if not isinstance(raw, dict):
            p.error(path, data.line_of("audiences"), "'audiences' must map audience ids to translated labels")
            return base.audiences
        out = []
        for a in base.audiences:
            v = raw.get(a.id)
            if isinstance(v, dict):
                out.append(Audience(a.id, str(v.get("label", a.label)), str(v.get("short", v.get("label", a.short)))))
            elif isinstance(v, str):
                out.append(Audience(a.id, v, v))
            else:
                out.append(a)
        _unknown_ids(p, path, raw, [a.id for a in base.audiences], "audience")
        return tuple(out)
    if not isinstance(raw, list):
        p.error(path, data.line_of("audiences"), "'audiences' must be a list of {id, label}")
        return ()
    def audience(item, i, line):
        if not ID_RE.match(item["id"]):
            p.error(path, line, f"audience id '{item['id']}' must be lower-case letters, digits and dashes")
        return Audience(item["id"], item["label"], str(item.get("short", item["label"])))

    return tuple(_id_list(p, path, raw, "audience", "an audience", {"id", "label", "short"},
                          "each audience needs an 'id' and a 'label' (expected '- id: us-congress' and 'label: ...')",
                          audience))


def _rubrics(p: Problems, path: Path, data: LineDict, base: Publication | None) -> tuple[Rubric, ...]:
    raw = data.get("rubrics")
    if raw is None:
        return base.rubrics if base else ()
    if base is not None:
        if not isinstance(raw, dict):
            p.error(path, data.line_of("rubrics"), "'rubrics' must map rubric ids to translated labels")
            return base.rubrics
        _unknown_ids(p, path, raw, [r.id for r in base.rubrics], "rubric")
        return tuple(Rubric(r.id, str(raw.get(r.id, r.label)), r.order) for r in base.rubrics)
    if not isinstance(raw, list):
        p.error(path, data.line_of("rubrics"), "'rubrics' must be a list of {id, label, order}")
        return ()
    def rubric(item, i, line):
        order = item.get("order", i + 1)
        if not isinstance(order, int) or isinstance(order, bool):
            p.error(path, item.line_of("order"), f"rubric order must be a whole number "
                                                 f"(got {describe(order)}; expected e.g. order: {i + 1})")
            order = i + 1
        return Rubric(item["id"], item["label"], order)

    out = _id_list(p, path, raw, "rubric", "a rubric", {"id", "label", "order"},
                   "each rubric needs an 'id', a 'label' and an 'order'", rubric)
    return tuple(sorted(out, key=lambda r: r.order))


def _id_list(p: Problems, path: Path, raw, what: str, a_what: str, keys: set[str], shape: str, make) -> list:
    """The items of a list of `{id, label, ...}` mappings (audiences, rubrics): each checked for its
    shape, its keys and a duplicate id, and made by `make(item, index, line)`."""
    out, seen = [], set()
    for i, item in enumerate(raw):
        line = raw.item_lines[i]
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not isinstance(item.get("label"), str):
            p.error(path, line, shape)
            continue
        check_keys(p, path, item, keys, a_what)
        made = make(item, i, line)
        if item["id"] in seen:
            p.error(path, line, f"duplicate {what} '{item['id']}'")
        seen.add(item["id"])
        out.append(made)
    return out


def _unknown_ids(p: Problems, path: Path, raw, known: list[str], what: str) -> None:
    """An error for each key of a translation's mapping that is not a known id."""
    for key in raw:
        if key not in known:
            p.error(path, raw.line_of(key), f"unknown {what} '{key}'{suggest(str(key), known)} (expected {expected(known)})")


def _epigraph(p: Problems, path: Path, data: LineDict) -> Epigraph | None:
    raw = data.get("epigraph")
    if raw is None:
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("text"), str):
        p.error(path, data.line_of("epigraph"), "'epigraph' needs a 'text' (and 'attribution', 'source')")
        return None
    check_keys(p, path, raw, {"text", "attribution", "source"}, "the epigraph")
    return Epigraph(raw["text"].strip(), str(raw.get("attribution", "")).strip(), str(raw.get("source", "")).strip())


def load_editions(path: Path, publication: Publication) -> tuple[EditionSpec, ...]:
    """Read `editions.yml`, or the default (one full report) when it does not exist."""
    if not path.is_file():
        contents = (*publication.chapters, "recommendations") if publication.chapters else DEFAULT_REPORT_CONTENTS
        return (EditionSpec("report", "report", None, publication.languages, contents,
                            "all", "print.css", None, True),)
    p = Problems()
    data = load_yaml_file(path)
    if not isinstance(data, LineDict) or not isinstance(data.get("editions"), list):
        raise BuildError.at(path, getattr(data, "line", 1) or 1, "expected a mapping with an 'editions:' list")
    check_keys(p, path, data, {"editions"}, path.name)
    audiences = {a.id for a in publication.audiences}
    editions, seen = [], set()
    raw: LineList = data["editions"]
    for i, item in enumerate(raw):
        line = raw.item_lines[i]
        if not isinstance(item, LineDict):
            p.error(path, line, "each edition must be a mapping (expected '- id: ...')")
            continue
        check_keys(p, path, item, EDITION_KEYS, "an edition")
        eid = item.get("id")
        if not isinstance(eid, str) or not ID_RE.match(eid):
            p.error(path, line, f"edition id {eid!r} must be lower-case letters, digits and dashes")
            continue
        if eid in seen:
            p.error(path, line, f"duplicate edition '{eid}'")
        seen.add(eid)
        kind = item.get("kind", "brief" if item.get("audience") else "report")
        if kind not in ("report", "brief"):
            p.error(path, item.line_of("kind"), f"edition kind '{kind}' is unknown (expected report or brief)")
        audience = item.get("audience")
        if audience is not None and not isinstance(audience, str):
            p.error(path, item.line_of("audience"),
                    f"'audience' must be one audience id (got {describe(audience)}; expected {expected(audiences)})")
            audience = None
        elif audience is not None and audience not in audiences:
            p.error(path, item.line_of("audience"),
                    f"unknown audience '{audience}'{suggest(str(audience), audiences)} (expected {expected(audiences)})")
        languages = _str_list(p, path, item, "languages") if "languages" in item else (publication.language,)
        for lang in languages:
            if lang not in publication.languages:
                p.error(path, item.line_of("languages"),
                        f"language '{lang}' is not declared in publication.yml (expected {expected(publication.languages)})")
        contents = _str_list(p, path, item, "contents") if "contents" in item else (
            DEFAULT_REPORT_CONTENTS if kind == "report" else (f"briefs/{audience}.md", "recommendations", "briefs/back-page.md"))
        recs = item.get("recommendations", "all" if kind == "report" else "audience")
        if isinstance(recs, list):
            recs = tuple(str(r) for r in recs)
        elif recs not in ("all", "audience", "none"):
            p.error(path, item.line_of("recommendations"),
                    f"recommendations filter {recs!r} is unknown (expected all, audience, none, or a list of ids)")
            recs = "none"
        if recs == "audience" and audience is None:
            p.error(path, item.line_of("recommendations"), "recommendations: audience needs an 'audience'")
        budget = item.get("page_budget", 4 if kind == "brief" else None)
        if budget is not None and (not isinstance(budget, int) or isinstance(budget, bool) or budget < 1):
            p.error(path, item.line_of("page_budget"), f"page_budget must be a whole number of pages "
                                                       f"(got {describe(budget)}; expected e.g. page_budget: 4)")
            budget = None
        stylesheet = item.get("stylesheet", "print.css" if kind == "report" else "brief.css")
        if not isinstance(stylesheet, str) or not re.match(r"^[\w-]+\.css$", stylesheet):
            p.error(path, item.line_of("stylesheet"), f"stylesheet must be the name of a file in styles/ "
                                                      f"(got {describe(stylesheet)}; expected e.g. print.css)")
            stylesheet = "print.css"
        web = item.get("web", kind == "report")
        if not isinstance(web, bool):
            p.error(path, item.line_of("web"), f"web must be true or false (got {describe(web)})")
            web = False
        editions.append(EditionSpec(eid, kind, audience, tuple(languages), tuple(contents), recs,
                                    str(stylesheet), budget, web, line))
    p.raise_if_errors()
    return tuple(editions)


DEFAULT_REPORT_CONTENTS = ("front/*.md", "chapters/*.md", "recommendations", "back/*.md")
