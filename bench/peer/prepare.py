"""Inputs for the peer, `pandoc --pdf-engine=weasyprint`, made from the same manuscript pressroom builds.

For every edition pressroom builds (one per edition and language) this writes, under
`<out>/<language>/<edition>/`:

* `NNN-<name>.md`: the same Markdown, one file per source, front matter stripped and replaced by a
  `#` heading carrying the section's id (`# Kosovo, 1999 {#kosovo}`), in the order pressroom uses.
  pandoc is given all of them with `--file-scope`, so footnote labels stay local to a file, as in
  pressroom; footnotes become what pandoc makes of them (endnotes at the end of the document).
  pressroom's own directives become pandoc fenced divs (`::: pullquote` already is one;
  `::: audience us-congress` becomes `::: {.audience-passage}`, kept in the report as pressroom
  keeps it), and the generated figure is written once as an SVG file next to the Markdown.
  The report: front matter, chapters, the recommendations appendix (by rubric: id, title, summary,
  body), back matter. A brief: the brief's text, its recommendations' titles and summaries, the
  back page.
* `style.css`: the edition's stylesheet as pressroom gives it to WeasyPrint: the @font-face rules of
  `pressroom.pdf.layout.font_face_css()` followed by `styles/<sheet>.css` with its `@import` of `base.css`
  inlined.

`command(job)` is the pandoc command line, to run with the job's folder as working directory and
the venv's `bin/` first on PATH (pandoc looks `weasyprint` up there).
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

FRONT_MATTER_RE = re.compile(r"\A---\n.*?\n---\n", re.S)
AUDIENCE_RE = re.compile(r"^(\s*):::\s*audience\b.*$", re.M)
GENERATED = "generated:recommendation-matrix"


@dataclass(frozen=True)
class PeerJob:
    """One pandoc run: one edition in one language."""

    name: str
    """`report.en`, `media.fr`."""
    folder: Path
    """Working directory holding the Markdown files and style.css."""
    sources: tuple[str, ...]
    """The Markdown files, in order (names relative to `folder`)."""
    title: str
    """Document title (pandoc requires one for HTML)."""
    language: str
    """`en`, `fr`."""
    output: str
    """PDF file name, relative to `folder`."""
    kind: str
    """`report` or `brief`."""


def stylesheet_css(styles: Path, sheet: str) -> str:
    """@font-face rules plus the sheet with `@import url("base.css")` replaced by base.css itself."""
    from pressroom.pdf.layout import font_face_css
    text = (styles / sheet).read_text(encoding="utf-8")

    def inline(m: re.Match) -> str:
        return (styles / m.group(1)).read_text(encoding="utf-8")

    text = re.sub(r'@import\s+url\(["\']?([^"\')]+)["\']?\)\s*;', inline, text)
    return font_face_css() + "\n" + text


def _body(md: str) -> str:
    """pressroom's Markdown made pandoc's: audience blocks as fenced divs, the generated figure a file."""
    md = AUDIENCE_RE.sub(lambda m: f"{m.group(1)}::: {{.audience-passage}}", md)
    return md.replace(GENERATED, "recommendation-matrix.svg")


def _heading(title: str, anchor: str | None, level: int = 1) -> str:
    attrs = f" {{#{anchor}}}" if anchor else ""
    return f"{'#' * level} {title}{attrs}\n\n"


def prepare(manuscript: Path, styles: Path, out: Path, languages: tuple[str, ...] | None = None) -> list[PeerJob]:
    """Write the peer's inputs for every edition pressroom builds from `manuscript`; return the jobs,
    reports first (as pressroom builds them)."""
    from pressroom.load.editions import editions_to_build
    from pressroom.load.manuscript import load_manuscript
    from pressroom.render.figures import recommendation_matrix
    from pressroom.render.i18n import labels_for

    m = load_manuscript(manuscript, styles, languages)
    jobs: list[PeerJob] = []
    for e in editions_to_build(m, None, languages):
        folder = out / e.language / e.spec.id
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        pub = e.publication
        labels = labels_for(e.language, pub.labels)
        files: list[tuple[str, str]] = []
        if e.spec.kind == "report":
            texts = {s.kind: [] for s in e.sections}
            for s in e.sections:
                texts[s.kind].append(s)
            for s in texts.get("front", []) + texts.get("chapter", []):
                files.append((s.id, _heading(s.title, s.id) + _body(s.body)))
            if e.recommendations:
                parts = [_heading(f"{labels['appendix']}: {labels['appendix_title']}", "recommendations")]
                for rubric in pub.rubrics:
                    recs = [r for r in e.recommendations if r.rubric == rubric.id]
                    if not recs:
                        continue
                    parts.append(_heading(rubric.label, f"rubric-{rubric.id}", 2))
                    for r in recs:
                        parts.append(_heading(f"{r.id} {r.title}", r.id, 3) + f"*{r.summary}*\n\n" + _body(r.body))
                files.append(("recommendations", "\n".join(parts)))
            for s in texts.get("back", []):
                files.append((s.id, _heading(s.title, s.id) + _body(s.body)))
        else:
            brief = [s for s in e.sections if s.id != "back-page"]
            back = [s for s in e.sections if s.id == "back-page"]
            for s in brief:
                files.append((s.id, _heading(s.title, s.id) + _body(s.body)))
            if e.recommendations:
                recs = [_heading(labels.get("recommendations", "Recommendations"), "recommendations", 2)]
                recs += [_heading(f"{r.id} {r.title}", r.id, 3) + f"{r.summary}\n" for r in e.recommendations]
                files.append(("recommendations", "\n".join(recs)))
            for s in back:
                files.append((s.id, _heading(s.title, s.id) + _body(s.body)))
        names = []
        for i, (name, text) in enumerate(files):
            fname = f"{i:03d}-{name}.md"
            (folder / fname).write_text(text.rstrip() + "\n", encoding="utf-8")
            names.append(fname)
        (folder / "recommendation-matrix.svg").write_text(
            recommendation_matrix(pub, m.texts[e.language].recommendations, labels), encoding="utf-8")
        (folder / "style.css").write_text(stylesheet_css(styles, e.spec.stylesheet), encoding="utf-8")
        title = pub.title if e.spec.kind == "report" else next((s.title for s in brief), pub.title)
        jobs.append(PeerJob(f"{e.spec.id}.{e.language}", folder, tuple(names), title, e.language,
                            f"{e.spec.id}.pdf", e.spec.kind))
    return jobs


def command(job: PeerJob) -> list[str]:
    """The pandoc command line for a job (run in `job.folder`)."""
    cmd = ["pandoc", "--from=markdown", "--file-scope", "--standalone",
           f"--metadata=title:{job.title}", f"--metadata=lang:{job.language}", "--css=style.css"]
    if job.kind == "report":
        cmd += ["--toc", "--toc-depth=1"]
    return cmd + ["--pdf-engine=weasyprint", "-o", job.output, *job.sources]


def shell_command(job: PeerJob) -> str:
    """`command(job)` for a README: Markdown files as a glob."""
    import shlex
    cmd = command(job)[:-len(job.sources)]
    return " ".join(shlex.quote(c) for c in cmd) + " [0-9]*.md"
