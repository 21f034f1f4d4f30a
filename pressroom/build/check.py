"""`pressroom check`: every validation, without rendering."""

from __future__ import annotations

from pathlib import Path

from ..errors import BuildError, Problem, SourceLocation
from ..load.editions import editions_to_build
from ..load.lint import LINK_RE, code_mask
from ..load.manuscript import load_manuscript


def run_check(manuscript: Path, styles: Path) -> list[Problem]:
    """All problems (errors and warnings) of the manuscript, sorted by place."""
    try:
        m = load_manuscript(manuscript, styles)
    except BuildError as exc:
        return sorted(exc.problems)
    return sorted(set(m.warnings) | set(cross_reference_warnings(m)) | set(web_url_problems(m)))


def web_url_problems(m) -> list[Problem]:
    """URLs the web editions may not load (`srcset`, `<iframe src>`...: pressroom.render.urls)."""
    from ..load.editions import editions_to_build
    from ..render.urls import LOADS_URL_RE
    editions = [e for e in editions_to_build(m) if e.spec.web
                and any(LOADS_URL_RE.search(s.body) for s in (*e.sections, *e.recommendations))]
    if not editions:  # nothing to render (and the renderer's modules are not even imported)
        return []
    from ..render.html import web_url_check
    return [p for e in editions for p in web_url_check(e)]


def cross_reference_warnings(m) -> list[Problem]:
    """Recommendations no text refers to, and links to recommendations an edition leaves out."""
    out: list[Problem] = []
    texts = m.texts[m.original_language]

    def links(source):
        lines = source.body.split("\n")
        code = code_mask(lines)
        for i, line in enumerate(lines):
            if not code[i]:
                for lm in LINK_RE.finditer(line):
                    if lm["href"].startswith("#"):
                        yield source.body_line + i, lm["href"][1:]

    referenced = {target for s in texts.sections for _, target in links(s)}
    referenced |= {target for r in texts.recommendations for _, target in links(r)}
    for r in texts.recommendations:
        if r.id not in referenced:
            out.append(Problem(SourceLocation.of(r.path, 1),
                               f"recommendation {r.id} is referenced nowhere in the text "
                               f"(expected a link such as [{r.id}](#{r.id}) where it is argued)", "warning"))
    all_ids = {r.id for r in texts.recommendations}
    for e in editions_to_build(m, languages=(m.original_language,)):
        if not e.include_recommendations_appendix and e.spec.kind == "report":
            continue
        present = {r.id for r in e.recommendations}
        # Briefs show recommendations by title and summary: only their running text holds links.
        shown = list(e.sections) + ([] if e.spec.kind == "brief" else list(e.recommendations))
        for s in shown:
            for line, target in links(s):
                if target in all_ids and target not in present:
                    out.append(Problem(SourceLocation.of(s.path, line),
                                       f"link to {target}, which edition '{e.spec.id}' leaves out "
                                       "(it is shown there as plain text)", "warning"))
    return out
