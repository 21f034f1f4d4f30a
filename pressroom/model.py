"""Frozen records passed between the pipeline's stages; no I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Audience:
    """A readership the publication addresses."""

    id: str
    """Identifier used in front matter and editions (`us-congress`)."""
    label: str
    """Name shown to readers ("Members of the United States Congress")."""
    short: str
    """Short label for tables and figures ("US Congress")."""


@dataclass(frozen=True)
class Rubric:
    """A heading under which recommendations are grouped."""

    id: str
    """Identifier used in recommendation front matter (`leadership`)."""
    label: str
    """Name shown to readers ("Enabling leadership")."""
    order: int
    """Position among the rubrics, from 1."""


@dataclass(frozen=True)
class Epigraph:
    """A quotation set before the first chapter."""

    text: str
    """The quotation."""
    attribution: str
    """Who said or wrote it."""
    source: str
    """Where it was published."""


@dataclass(frozen=True)
class Publication:
    """The publication's identity, from `publication.yml` (one per language)."""

    title: str
    """Main title."""
    subtitle: str
    """Subtitle, or empty."""
    authors: tuple[str, ...]
    """Authors, in order."""
    organisation: str
    """Issuing organisation."""
    publisher: str
    """Publisher line for the colophon."""
    date: str
    """Publication date, ISO `YYYY-MM-DD`; also the PDF creation date."""
    version: str
    """Edition or version string."""
    language: str
    """Language of this copy of the record (`en`, `fr`)."""
    locale: str
    """Locale for dates and numbers (`en_CA`, `fr_CA`)."""
    languages: tuple[str, ...]
    """Every language the publication exists in, the original first."""
    audiences: tuple[Audience, ...]
    """Declared audiences."""
    rubrics: tuple[Rubric, ...]
    """Declared rubrics, sorted by order."""
    epigraph: Epigraph | None
    """Optional epigraph."""
    licence: str
    """Licence statement for the colophon."""
    subject: str
    """PDF subject line."""
    keywords: tuple[str, ...]
    """PDF keywords."""
    page_size: str
    """`letter` or `a4`."""
    website: str
    """Where the report can be downloaded, or empty."""
    contact: str
    """Postal or other contact line, or empty."""
    labels: tuple[tuple[str, str], ...] = ()
    """Overrides of generated texts (`contents`, `recommendation`...), as pairs."""
    chapters: tuple[str, ...] = ()
    """A book folder's chapter files (paths or patterns, in reading order); empty for `chapters/NN-slug.md`."""
    dated: bool = True
    """Whether `date` was given; an undated publication prints no date."""

    def audience(self, audience_id: str) -> Audience:
        """The audience with this id."""
        return next(a for a in self.audiences if a.id == audience_id)

    def rubric(self, rubric_id: str) -> Rubric:
        """The rubric with this id."""
        return next(r for r in self.rubrics if r.id == rubric_id)


@dataclass(frozen=True)
class Section:
    """One Markdown file of running text: front matter, chapter, back matter or brief text."""

    id: str
    """Anchor id, unique in the publication (`rwanda`)."""
    kind: str
    """`front`, `chapter`, `back` or `brief`."""
    title: str
    """Heading shown at its start and in the contents."""
    short_title: str
    """Running-head title."""
    path: Path
    """Source file."""
    rel: str
    """Path relative to the manuscript root in the original tree (`chapters/02-rwanda.md`)."""
    body: str
    """Markdown body."""
    body_line: int
    """Line number of the body's first line in the file."""
    audience: str | None = None
    """For brief texts: the audience they address."""
    sha256: str = ""
    """Hash of the source file (for translations and build keys)."""
    permalink: str = ""
    """The address a site generator gave the page (`permalink:` in front matter), for links to it."""


@dataclass(frozen=True)
class Recommendation:
    """One recommendation of the appendix."""

    id: str
    """Identifier shown everywhere (`US-2`); never renumbered."""
    title: str
    """Imperative one-line statement."""
    rubric: str
    """Rubric id."""
    country: str
    """`US`, `CA` or `both`."""
    audiences: tuple[str, ...]
    """Audience ids it is addressed to."""
    summary: str
    """One or two sentences used in briefs and the executive summary."""
    body: str
    """Markdown argument in full."""
    path: Path
    """Source file."""
    body_line: int
    """Line number of the body's first line in the file."""
    sha256: str = ""
    """Hash of the source file."""

    @property
    def sort_key(self) -> tuple:
        """Order within a rubric: US, CA, CS, MD, then by number."""
        prefix, _, number = self.id.partition("-")
        order = {"US": 0, "CA": 1, "CS": 2, "MD": 3}.get(prefix, 4)
        return (order, prefix, int(number) if number.isdigit() else 0)


@dataclass(frozen=True)
class Texts:
    """Everything written in one language."""

    language: str
    """Language code."""
    publication: Publication
    """Publication record in this language."""
    sections: tuple[Section, ...]
    """Front matter, chapters, back matter and brief texts, in reading order."""
    recommendations: tuple[Recommendation, ...]
    """Recommendations in appendix order."""


@dataclass(frozen=True)
class EditionSpec:
    """One edition as declared in `editions.yml`."""

    id: str
    """Identifier (`report`, `us-congress`)."""
    kind: str
    """`report` or `brief`."""
    audience: str | None
    """Audience id, or None for the full report."""
    languages: tuple[str, ...]
    """Languages it is built in."""
    contents: tuple[str, ...]
    """Section paths or globs, and the keywords `recommendations`."""
    recommendations: str | tuple[str, ...]
    """`all`, `audience`, `none`, or explicit ids."""
    stylesheet: str
    """Stylesheet file in `styles/`."""
    page_budget: int | None
    """Most pages allowed, or None."""
    web: bool
    """Whether an HTML edition is written too."""
    line: int = 0
    """Line in editions.yml, for messages."""


@dataclass(frozen=True)
class Manuscript:
    """The validated sources: publication, editions and texts per language."""

    root: Path
    """The manuscript folder."""
    styles: Path
    """The styles folder."""
    editions: tuple[EditionSpec, ...]
    """Declared editions."""
    texts: dict = field(hash=False)
    """Texts by language code."""
    warnings: tuple = ()
    """Problems of severity warning found while loading."""

    @property
    def publication(self) -> Publication:
        """The publication in its original language."""
        return self.texts[self.original_language].publication

    @property
    def original_language(self) -> str:
        """The language the manuscript is written in."""
        return next(iter(self.texts))

    def edition(self, edition_id: str) -> EditionSpec:
        """The edition with this id."""
        return next(e for e in self.editions if e.id == edition_id)


@dataclass(frozen=True)
class Edition:
    """What one edition contains in one language, selected from the manuscript."""

    spec: EditionSpec
    """Its declaration."""
    language: str
    """Language of this build."""
    publication: Publication
    """Publication record in that language."""
    sections: tuple[Section, ...]
    """Sections included, in order."""
    recommendations: tuple[Recommendation, ...]
    """Recommendations included, in appendix order."""
    left_out_sections: tuple[str, ...]
    """Sections of the manuscript not included (relative paths)."""
    left_out_recommendations: tuple[str, ...]
    """Recommendation ids not included."""
    include_recommendations_appendix: bool
    """Whether the recommendations are set as a block (appendix or brief list)."""

    @property
    def id(self) -> str:
        """The edition's output name (`report`, `report.fr`)."""
        return self.spec.id if self.language == "en" else f"{self.spec.id}.{self.language}"

    @property
    def audience(self) -> str | None:
        """Audience id, or None."""
        return self.spec.audience


@dataclass(frozen=True)
class RenderedHTML:
    """An edition rendered to an HTML page."""

    edition: Edition
    """What was rendered."""
    html: str
    """The complete HTML document."""
    stylesheets: tuple[Path, ...]
    """Stylesheets to apply (print) or link (web)."""
    media: str
    """`print` or `screen`."""
