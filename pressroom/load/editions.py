"""Select what one edition holds in one language, from the manuscript: pure, no I/O."""

from __future__ import annotations

from pathlib import PurePosixPath

from ..model import Edition, EditionSpec, Manuscript, Recommendation, Texts


def matches(rel: str, pattern: str) -> bool:
    """Whether a section file (`chapters/02-rwanda.md`) is one an edition's `contents` item names,
    as a path or a pattern (`chapters/*.md`); an empty or malformed pattern matches nothing."""
    try:
        return rel == pattern or PurePosixPath(rel).match(pattern)
    except ValueError:
        return False


def takes(spec: EditionSpec, r: Recommendation) -> bool:
    """Whether an edition's filter keeps a recommendation."""
    if "recommendations" not in spec.contents:
        return False
    if spec.recommendations == "all":
        return True
    if spec.recommendations == "audience":
        return spec.audience in r.audiences
    if isinstance(spec.recommendations, tuple):
        return r.id in spec.recommendations
    return False


def select_recommendations(spec: EditionSpec, texts: Texts) -> tuple[Recommendation, ...]:
    """The recommendations an edition's filter keeps, in appendix order."""
    return tuple(r for r in texts.recommendations if takes(spec, r))


def select_edition(manuscript: Manuscript, spec: EditionSpec, language: str) -> Edition:
    """The sections and recommendations of `spec` in `language`, in reading order."""
    texts: Texts = manuscript.texts[language]
    chosen, seen = [], set()
    for item in spec.contents:
        if item == "recommendations":
            continue
        for s in texts.sections:
            if s.rel not in seen and matches(s.rel, item):
                # Brief texts belong to their audience's edition only, even through a glob.
                if s.kind == "brief" and s.audience and s.audience != spec.audience:
                    continue
                chosen.append(s)
                seen.add(s.rel)
    recs = select_recommendations(spec, texts)
    rec_ids = {r.id for r in recs}
    return Edition(
        spec=spec,
        language=language,
        publication=texts.publication,
        sections=tuple(chosen),
        recommendations=recs,
        left_out_sections=tuple(s.rel for s in texts.sections if s.rel not in seen),
        left_out_recommendations=tuple(r.id for r in texts.recommendations if r.id not in rec_ids),
        include_recommendations_appendix="recommendations" in spec.contents,
    )


def editions_to_build(manuscript: Manuscript, only: str | None = None,
                      languages: tuple[str, ...] | None = None) -> list[Edition]:
    """Every (edition, language) pair to build, the full reports first (briefs cite their pages)."""
    specs = [e for e in manuscript.editions if only is None or e.id == only]
    cited: dict[str, tuple[str, ...]] = {}  # a brief alone brings its report, in the brief's languages only
    if only is not None and specs and specs[0].kind == "brief":
        cited = {e.id: specs[0].languages for e in manuscript.editions if e.kind == "report"}
        specs = [e for e in manuscript.editions if e.kind == "report"] + specs
    out = []
    for spec in sorted(specs, key=lambda e: e.kind != "report"):
        for lang in spec.languages:
            if (languages is None or lang in languages) and lang in manuscript.texts \
                    and lang in cited.get(spec.id, (lang,)):
                out.append(select_edition(manuscript, spec, lang))
    return out
