"""Discover, read and validate the manuscript: chapters, recommendations, briefs, translations."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from ..errors import BuildError, Problems, describe, display_path, expected, suggest
from ..model import Manuscript, Publication, Recommendation, Section, Texts
from . import config
from .book import Anchors, clean_markdown, read_book_source, slug
from .config import check_keys
from .editions import matches, takes
from .frontmatter import SourceText, read_source
from .layout import SECTION_DIRS, sha256_text
from .lint import lint_markdown
from .translations import load_translation

log = logging.getLogger(__name__)

SECTION_KEYS = {"title", "short_title", "id", "audience", "source_sha256"}
RECOMMENDATION_KEYS = {"id", "title", "rubric", "country", "audiences", "summary", "illustrative", "source_sha256"}
REC_ID_RE = re.compile(r"^[A-Z]{2}-[1-9][0-9]*$")
COUNTRIES = ("US", "CA", "both")


def slug_of(path: Path) -> str:
    """`02-rwanda.md` -> `rwanda`."""
    return re.sub(r"^\d+[-_]", "", path.stem)


def _read_all(paths: list[Path], p: Problems) -> list[SourceText]:
    out = []
    for path in paths:
        try:
            out.append(read_source(path))
        except BuildError as exc:
            p.extend(exc.problems)
    return out


def _text(p: Problems, src: SourceText, key: str, required: bool = True) -> str:
    value = src.meta.get(key)
    if value is None:
        if required:
            p.error(src.path, src.meta.line or 1, f"missing '{key}' in front matter")
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        p.error(src.path, src.meta.line_of(key), f"'{key}' must be text (got {describe(value)}; "
                                                 "expected text, in quotes if it starts with [ or {)")
        return ""
    if required and not value.strip():
        p.error(src.path, src.meta.line_of(key), f"'{key}' is empty")
    return value.strip()


def book_chapter_paths(root: Path, publication: Publication, p: Problems) -> list[Path]:
    """The files a book folder's `chapters:` names, in its order (patterns sorted by name)."""
    out: list[Path] = []
    where = root / "publication.yml"
    for item in publication.chapters:
        if "*" in item or "?" in item or "[" in item:
            found = sorted(f for f in root.glob(item) if f.is_file() and f.suffix.lower() in (".md", ".markdown"))
        else:
            found = [root / item]
        if not found:
            p.error(where, 1, f"chapters: '{item}' matches no Markdown file (expected a path such as "
                              "intro.md or a pattern such as '*.md', relative to this folder)")
        for f in found:
            if f not in out:
                out.append(f)
    return out


def load_book_sections(root: Path, publication: Publication, p: Problems) -> tuple[Section, ...]:
    """A book folder's chapters: any Markdown, front matter optional, other tools' keys ignored."""
    sections: list[Section] = []
    seen: dict[str, Section] = {}
    for path in book_chapter_paths(root, publication, p):
        if not path.is_file():
            p.error(path, None, "chapter file not found" if not path.exists() else
                    "not a file (expected a Markdown file; chapters: lists files, not folders)")
            continue
        try:
            src, title = read_book_source(path)
        except BuildError as exc:
            p.extend(exc.problems)
            continue
        rel = path.relative_to(root).as_posix()
        given = src.meta.get("id")
        sid = given.strip() if isinstance(given, str) and given.strip() else _book_id(path, root, seen)
        short = src.meta.get("short_title")
        short = short.strip() if isinstance(short, str) and short.strip() else title
        permalink = src.meta.get("permalink")
        body, warnings = _cleaned(src.body, path, src.body_line)
        p.extend(warnings)
        if not body.strip():
            p.warning(path, src.body_line, "the chapter has no text (expected Markdown after its title)")
        s = Section(id=sid, kind="chapter", title=title, short_title=short, path=path, rel=rel, body=body,
                    body_line=src.body_line, sha256=sha256_text(src.raw),
                    permalink=permalink if isinstance(permalink, str) else "")
        if sid in seen:
            p.error(path, src.meta.line_of("id") if given else 1,
                    f"duplicate section id '{sid}' (also used by {seen[sid].rel})")
        seen[sid] = s
        sections.append(s)
    return tuple(sections)


def _book_id(path: Path, root: Path, seen: dict) -> str:
    """`user-guide/deploying-your-docs.md` -> `deploying-your-docs` (with its folder if taken)."""
    base = slug(slug_of(path)) if slug_of(path) else "chapter"
    if base in seen:
        base = slug(path.relative_to(root).with_suffix("").as_posix().replace("/", "-"))
    sid, n = base, 2
    while sid in seen:
        sid, n = f"{base}-{n}", n + 1
    return sid


def _cleaned(body: str, path: Path, first_line: int):
    return clean_markdown(body, path, first_line)


def load_sections(root: Path, publication: Publication, p: Problems) -> tuple[Section, ...]:
    """Read front matter, chapters, back matter and brief texts under `root`."""
    if publication.chapters:
        return load_book_sections(root, publication, p)
    audiences = {a.id for a in publication.audiences}
    sections: list[Section] = []
    for folder, kind in SECTION_DIRS:
        for src in _read_all(sorted((root / folder).glob("*.md")), p):
            check_keys(p, src.path, src.meta, SECTION_KEYS, "a section", "front matter key")
            title = _text(p, src, "title")
            sid = _text(p, src, "id", required=False) or slug_of(src.path)
            if kind == "brief" and sid != "back-page":
                sid = f"brief-{sid}"
            audience = src.meta.get("audience")
            if audience is not None and not isinstance(audience, str):
                p.error(src.path, src.meta.line_of("audience"),
                        f"'audience' must be one audience id (got {describe(audience)}; expected {expected(audiences)})")
                audience = None
            elif audience is not None and audience not in audiences:
                p.error(src.path, src.meta.line_of("audience"),
                        f"unknown audience '{audience}'{suggest(str(audience), audiences)} (expected {expected(audiences)})")
            if kind == "chapter" and not src.body.strip():
                p.error(src.path, src.body_line, "the chapter is empty (expected Markdown text after the front matter)")
            body, warnings = _cleaned(src.body, src.path, src.body_line)
            p.extend(warnings)
            sections.append(Section(
                id=sid, kind=kind, title=title, short_title=_text(p, src, "short_title", False) or title,
                path=src.path, rel=f"{folder}/{src.path.name}", body=body, body_line=src.body_line,
                audience=audience, sha256=sha256_text(src.raw)))
    seen: dict[str, Section] = {}
    for s in sections:
        if s.id in seen:
            p.error(s.path, 1, f"duplicate section id '{s.id}' (also used by {seen[s.id].rel})")
        seen[s.id] = s
    return tuple(sections)


def load_recommendations(root: Path, publication: Publication, p: Problems) -> tuple[Recommendation, ...]:
    """Read `recommendations/*.md` and check their front matter against the publication."""
    audiences = [a.id for a in publication.audiences]
    rubrics = [r.id for r in publication.rubrics]
    recs: list[Recommendation] = []
    seen: dict[str, Path] = {}
    for src in _read_all(sorted((root / "recommendations").glob("*.md")), p):
        check_keys(p, src.path, src.meta, RECOMMENDATION_KEYS, "a recommendation", "front matter key")
        rid = _text(p, src, "id")
        m = src.meta
        if rid and not REC_ID_RE.match(rid):
            p.error(src.path, m.line_of("id"), f"recommendation id '{rid}' is malformed (expected two capital letters, a dash and a number, e.g. US-2)")
        if rid and rid in seen:
            p.error(src.path, m.line_of("id"), f"duplicate recommendation id '{rid}' (also in {seen[rid].name}; "
                                               "expected each recommendation to have its own id)")
        seen.setdefault(rid, src.path)
        rubric = _text(p, src, "rubric")
        if rubric and rubric not in rubrics:
            p.error(src.path, m.line_of("rubric"), f"unknown rubric '{rubric}'{suggest(rubric, rubrics)} (expected {expected(rubrics)})")
        country = _text(p, src, "country")
        if country and country not in COUNTRIES:
            p.error(src.path, m.line_of("country"), f"unknown country '{country}' (expected {expected(COUNTRIES)})")
        auds = m.get("audiences")
        if isinstance(auds, str) and re.search(r"[\s,;]", auds.strip()):
            p.error(src.path, m.line_of("audiences"),
                    f"'audiences' must be a list of audience ids (got {describe(auds)}; "
                    f"expected a list in brackets, e.g. audiences: [{', '.join(audiences[:2])}])")
            auds = []
        elif isinstance(auds, str):
            auds = [auds]
        elif not isinstance(auds, list) or not auds:
            p.error(src.path, m.line_of("audiences"),
                    f"'audiences' must be a non-empty list of audience ids (got {describe(auds)}; "
                    f"expected e.g. audiences: [{', '.join(audiences[:2])}])")
            auds = []
        for a in auds:
            if not isinstance(a, str):
                p.error(src.path, m.line_of("audiences"),
                        f"each audience must be an id (got {describe(a)}; expected {expected(audiences)})")
            elif a not in audiences:
                p.error(src.path, m.line_of("audiences"),
                        f"unknown audience '{a}'{suggest(str(a), audiences)} (expected {expected(audiences)})")
        if not src.body.strip():
            p.error(src.path, src.body_line, "the recommendation has no text (expected its argument after the front matter)")
        body, warnings = _cleaned(src.body, src.path, src.body_line)
        p.extend(warnings)
        illustrative = m.get("illustrative", False)
        if not isinstance(illustrative, bool):
            p.error(src.path, m.line_of("illustrative"), f"'illustrative' must be true or false (got {describe(illustrative)}; "
                                                         "expected illustrative: true when the wording is not attested)")
            illustrative = False
        recs.append(Recommendation(
            id=rid, title=_text(p, src, "title"), rubric=rubric, country=country,
            audiences=tuple(str(a) for a in auds), summary=_text(p, src, "summary", False),
            body=body, path=src.path, body_line=src.body_line, sha256=sha256_text(src.raw),
            illustrative=illustrative))
    order = {r.id: r.order for r in publication.rubrics}
    return tuple(sorted(recs, key=lambda r: (order.get(r.rubric, 99), r.sort_key)))


def load_manuscript(root: Path, styles: Path, languages: tuple[str, ...] | None = None) -> Manuscript:
    """Read and validate the whole manuscript; raise one BuildError with every problem."""
    if not root.is_dir():
        raise BuildError.at(root, None, "manuscript folder not found (expected a folder with publication.yml: "
                                        "give it with --manuscript or in pressroom.yml, or make a new book with "
                                        "pressroom new DIR)")
    p = Problems()
    publication = config.load_publication(root / "publication.yml")
    editions = ()
    try:
        editions = config.load_editions(root / "editions.yml", publication)
    except BuildError as exc:
        p.extend(exc.problems)
    sections = load_sections(root, publication, p)
    recommendations = load_recommendations(root, publication, p)
    texts = {publication.language: Texts(publication.language, publication, sections, recommendations)}
    _lint(root, texts[publication.language], p)

    wanted = languages or publication.languages
    for lang in publication.languages[1:]:
        if lang in wanted:
            translated = load_translation(root, lang, texts[publication.language], p)
            if translated is not None:
                texts[lang] = translated
                _lint(root, translated, p, texts[publication.language])
    _check_editions(root, editions, texts[publication.language], p)
    _check_stylesheets(root, editions, styles, p)
    if not publication.dated:
        p.warning(root / "publication.yml", 1, "the publication has no date: none is printed (expected "
                                               "'date: YYYY-MM-DD' to print one)")
    p.raise_if_errors()
    for w in p.warnings:
        log.debug("warning: %s", w)
    return Manuscript(root=root, styles=styles, editions=editions, texts=texts, warnings=tuple(p.warnings))


def _lint(root: Path, texts: Texts, p: Problems, original: Texts | None = None) -> None:
    # Ids never change in translation: targets are those of the original.
    basis = original or texts
    targets = {s.id for s in basis.sections} | {r.id for r in basis.recommendations}
    audiences = [a.id for a in texts.publication.audiences]
    anchors = Anchors(texts.sections, texts.recommendations)
    anchors.global_ids |= targets
    book = bool(texts.publication.chapters)
    for s in texts.sections:
        p.extend(lint_markdown(s.body, s.path, s.body_line, targets, audiences, root,
                               anchors=anchors, section_id=s.id, book=book))
    for r in texts.recommendations:
        p.extend(lint_markdown(r.body, r.path, r.body_line, targets, audiences, root,
                               anchors=anchors, section_id=r.id, book=book))


def _check_editions(root: Path, editions, texts: Texts, p: Problems) -> None:
    editions_path = root / "editions.yml"
    rels = sorted(s.rel for s in texts.sections)
    for e in editions:
        for item in e.contents:
            # Without editions.yml the default report takes whichever of front/, chapters/, back/ exist.
            if item == "recommendations" or not editions_path.is_file():
                continue
            if not any(matches(rel, item) for rel in rels):
                p.error(editions_path, e.line, f"edition '{e.id}' lists '{item}', which matches no section file"
                                               f"{suggest(item, rels + ['recommendations'])} (expected a file or "
                                               "pattern such as chapters/*.md, or 'recommendations')")
        if isinstance(e.recommendations, tuple):
            known = {r.id for r in texts.recommendations}
            for rid in e.recommendations:
                if rid not in known:
                    p.error(editions_path, e.line, f"edition '{e.id}' lists unknown recommendation '{rid}'"
                                                   f"{suggest(rid, known)} (expected {expected(known)})")
    # A recommendation that reaches no edition, or no brief, is worth a warning.
    if editions:
        briefed = {e.audience for e in editions if e.kind == "brief"}
        for r in texts.recommendations:
            line = _audiences_line(r)
            audiences = ", ".join(r.audiences)
            if not any(takes(e, r) for e in editions):
                p.warning(r.path, line, f"recommendation {r.id} is in no edition (no edition takes every "
                                        f"recommendation or those for its audiences: {audiences}; expected an "
                                        "edition in editions.yml that includes it)")
            elif briefed and not any(a in briefed for a in r.audiences):
                p.warning(r.path, line, f"recommendation {r.id} reaches no brief (none of its audiences has a "
                                        f"brief: {audiences}; expected a brief in editions.yml for one of them)")


def _check_stylesheets(root: Path, editions, styles: Path, p: Problems) -> None:
    """Each edition's stylesheet must be a file of the theme."""
    have = sorted(f.name for f in styles.glob("*.css")) if styles.is_dir() else []
    for e in editions:
        if e.stylesheet not in have:
            p.error(root / "editions.yml", e.line, f"edition '{e.id}' uses the stylesheet '{e.stylesheet}', which "
                                                   f"the theme ({display_path(styles)}) does not have"
                                                   f"{suggest(e.stylesheet, have)} (expected {expected(have)})")


def _audiences_line(r: Recommendation) -> int:
    """Line of the `audiences:` key in a recommendation's front matter (1 if it cannot be read)."""
    try:
        return read_source(r.path).meta.line_of("audiences") or 1
    except BuildError:
        return 1
