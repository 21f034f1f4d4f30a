"""Jinja2 pages (StrictUndefined, autoescape): an edition's fragments become one HTML document."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import jinja2
from markupsafe import Markup

from .. import __version__
from ..errors import BuildError, Problem, SourceLocation
from ..model import Edition, RenderedHTML
from .figures import data_uri, recommendation_matrix
from .i18n import format_long_date, labels_for, typeset_edition, typography_for
from ..load.book import Anchors
from .markdown import RenderContext, render_markdown

ROMAN = [(1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"), (40, "xl"),
         (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")]


def roman(n: int) -> str:
    """Lower-case roman numeral."""
    out = ""
    for value, letters in ROMAN:
        while n >= value:
            out, n = out + letters, n - value
    return out


def trusted(fragment: str) -> Markup:
    """The one boundary where rendered Markdown enters templates unescaped.

    Fragments come from Python-Markdown over the project's own manuscript; raw HTML in them is
    the editors' own, and what it can reach is limited by the renderer's URL fetcher."""
    return Markup(fragment)


def make_environment(styles: Path) -> jinja2.Environment:
    """Templates from `styles/templates`, strict about undefined names, escaping by default."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(styles / "templates")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["capfirst"] = lambda s: s[:1].upper() + s[1:]
    env.filters["and_join"] = and_join
    return env


def and_join(names, word: str) -> str:
    """`A, B and C` (`A, B et C`)."""
    names = list(names)
    return names[0] if len(names) < 2 else f"{', '.join(names[:-1])} {word} {names[-1]}"


@dataclass(frozen=True)
class Fragment:
    """One section or recommendation rendered to HTML."""

    id: str
    """Anchor id."""
    title: str
    """Heading."""
    short_title: str
    """Running head."""
    kind: str
    """Section kind."""
    html: Markup
    """Rendered body."""


def anchors_of(edition: Edition) -> frozenset:
    """Ids a reader can jump to in this edition."""
    ids = {s.id for s in edition.sections} | {r.id for r in edition.recommendations}
    return frozenset(ids | {"contents", "recommendations"})


def _root_of(section) -> Path:
    """The manuscript root of a section: its path with its `rel` taken off."""
    path = section.path
    for _ in section.rel.split("/"):
        path = path.parent
    # A translation lives under <root>/<lang>/ (its rel is the original's): images are the root's.
    if re.fullmatch(r"[a-z]{2}", path.name) and (path.parent / "publication.yml").is_file():
        return path.parent
    return path


def render_fragments(edition: Edition, footnotes: str, figure_uri=None) -> tuple[list[Fragment], dict]:
    """Markdown of every section and recommendation of the edition to HTML fragments."""
    pub = edition.publication
    labels = labels_for(edition.language, pub.labels)
    audience_labels = {a.id: a.short for a in pub.audiences}
    table = Anchors(edition.sections, edition.recommendations)
    anchors = anchors_of(edition) | frozenset(table.all_ids())
    typo = typography_for(edition.language)
    book = bool(pub.chapters)

    def links_of(section_id: str):
        def resolve(href: str) -> str | None:
            status, target = table.resolve(section_id, href)
            if status == "internal":
                return f"#{target}"
            if status == "external":
                return href
            return None
        return resolve

    def ctx(section_id: str, rel: str = "", image_root=None) -> RenderContext:
        return RenderContext(section_id, edition.audience, audience_labels, anchors, footnotes,
                             figure_uri, labels["for"], typo, 1 if footnotes == "web" else 0,
                             headings=tuple(table.heading_ids(section_id)), links=links_of(section_id),
                             image_base=rel.rsplit("/", 1)[0] if book and "/" in rel else "",
                             image_root=image_root)

    sections = [Fragment(s.id, s.title, s.short_title, s.kind,
                         trusted(render_markdown(s.body, ctx(s.id, s.rel, _root_of(s))))) for s in edition.sections]
    recs = {r.id: trusted(render_markdown(r.body, ctx(r.id))) for r in edition.recommendations}
    if footnotes == "web":
        problems = [p for s in edition.sections for p in web_url_problems(s, sections_html(sections, s.id))]
        problems += [p for r in edition.recommendations for p in web_url_problems(r, recs[r.id])]
        if problems:
            raise BuildError(problems)
    return sections, recs


def sections_html(sections: list[Fragment], section_id: str) -> str:
    return next(f.html for f in sections if f.id == section_id)


def web_url_problems(source, html: str) -> list[Problem]:
    """The URLs of a source's rendered HTML that the web edition may not load (pressroom.render.urls),
    each located at the source line that holds it."""
    from .urls import refused_urls
    out = []
    lines = source.body.split("\n")
    for where, url in refused_urls(html):
        if url.startswith("srcdoc:"):
            needle, message = "srcdoc", ("an <iframe srcdoc> may not be used (a browser would load what it "
                                         "holds; expected an image or a link)")
        else:
            needle = url[:80]
            message = (f"refused to load '{url}' ({where} in the web edition: only files inside the manuscript "
                       "and data: URIs may be used; the PDF never loads it, a browser would)")
        line = next((source.body_line + i for i, text in enumerate(lines) if needle in text), source.body_line)
        out.append(Problem(SourceLocation.of(source.path, line), message))
    return out


def web_url_check(edition: Edition) -> list[Problem]:
    """What making the edition's web page would refuse, for `check`: only the sources that can hold
    such a URL (LOADS_URL_RE) are rendered, so that checking stays fast."""
    from dataclasses import replace

    from .urls import LOADS_URL_RE
    sections = tuple(s for s in edition.sections if LOADS_URL_RE.search(s.body))
    recs = tuple(r for r in edition.recommendations if LOADS_URL_RE.search(r.body))
    if not sections and not recs:
        return []
    try:
        render_fragments(replace(edition, sections=sections, recommendations=recs), "web", lambda name: "data:,")
    except BuildError as exc:
        return list(exc.problems)
    return []


def render_page(edition: Edition, styles: Path, media: str, report_pages: dict | None = None,
                pdf_name: str | None = None) -> RenderedHTML:
    """The complete HTML document of an edition, for `print` (PDF) or `screen` (web)."""
    edition = typeset_edition(edition)
    pub = edition.publication
    labels = labels_for(edition.language, pub.labels)
    figure_svg = recommendation_matrix(pub, edition.recommendations or (), labels)

    def figure_uri(name: str) -> str:
        return data_uri(figure_svg)

    sections, rec_html = render_fragments(edition, "print" if media == "print" else "web", figure_uri)
    rubrics = [
        {"rubric": r, "recs": [x for x in edition.recommendations if x.rubric == r.id]}
        for r in pub.rubrics
    ]
    rubrics = [g for g in rubrics if g["recs"]]
    env = make_environment(styles)
    template = {"report": "report.html.j2", "brief": "brief.html.j2"}[edition.spec.kind]
    if media == "screen":
        template = "web.html.j2"
    audience = pub.audience(edition.audience) if edition.audience else None
    brief_title = next((s.title for s in edition.sections if s.kind == "brief" and s.audience), "")
    first_chapter = next((s.id for s in edition.sections if s.kind == "chapter"), None)
    html = env.get_template(template).render(
        pub=pub,
        edition=edition,
        labels=labels,
        lang=edition.language,
        locale=pub.locale.replace("_", "-"),
        date=format_long_date(pub.date, pub.locale) if pub.dated else "",
        sections=sections,
        front=[s for s in sections if s.kind == "front"],
        chapters=[s for s in sections if s.kind == "chapter"],
        back=[s for s in sections if s.kind in ("back",)],
        brief_texts=[split_at_second_heading(s.html) for s in sections if s.kind == "brief" and s.id != "back-page"],
        back_page=next((s for s in sections if s.id == "back-page"), None),
        first_chapter=first_chapter,
        rubrics=rubrics,
        any_illustrative=any(r.illustrative for r in edition.recommendations),
        rec_html=rec_html,
        audience=audience,
        brief_title=brief_title,
        report_pages=report_pages or {},
        pdf_name=pdf_name,
        generator=f"pressroom {__version__}",
        page_size=pub.page_size,
        page_of=page_placeholder,
        part_break=part_break,
    )
    sheet = edition.spec.stylesheet if media == "print" else "screen.css"
    return RenderedHTML(edition, html, (styles / sheet,), media)


PAGE_PLACEHOLDER = re.compile(r"@@page:([A-Za-z0-9_.:-]+)@@")


def page_placeholder(anchor: str) -> str:
    """Where the printed page number of `anchor` goes: the report's parts are laid out apart, so the
    numbers are known only once the parts they are in are (see pressroom.pdf.parts.fill_page_numbers)."""
    return f"@@page:{anchor}@@"


def part_break(part: str, front: bool = False) -> Markup:
    """The mark before a part of the report that is laid out apart (see pressroom.pdf.parts); `part` is
    the id of the element that opens it; `front`: the part belongs to the front matter."""
    return Markup(f"<!--pressroom:part {part}{' front' if front else ''}-->")


def split_at_second_heading(fragment: Markup) -> tuple[Markup, Markup]:
    """A brief's text as (key message, the rest): the cover holds the first part."""
    first = fragment.find("<h2")
    second = fragment.find("<h2", first + 1) if first >= 0 else -1
    if second < 0:
        return fragment, Markup("")
    return Markup(fragment[:second]), Markup(fragment[second:])


HEADING_RE = re.compile(r'<(h[1-3]|article)\b[^>]*\bid="([^"]+)"[^>]*>(.*?)</\1>', re.S)


def outline_titles(html: str) -> dict[str, str]:
    """Anchor id to a readable title (headings and recommendations), for overflow messages."""
    out = {}
    for m in re.finditer(r'<(h[1-3])\b[^>]*\bid="([^"]+)"[^>]*>(.*?)</\1>', html, re.S):
        out[m.group(2)] = re.sub(r"<[^>]+>", "", m.group(3)).strip()
    for m in re.finditer(r'<article\b[^>]*\bid="([^"]+)"[^>]*data-title="([^"]*)"', html):
        out[m.group(1)] = f"{m.group(1)} {m.group(2)}"
    return out
