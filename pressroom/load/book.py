"""Ordinary Markdown books: files without front matter, other tools' markup, headings and links.

A book folder (a `publication.yml` with a `chapters:` list beside Markdown written for Jekyll,
MkDocs, Eleventy or GitHub) builds without edits: what has an obvious meaning is honoured (an
`{: .class}` attribute list, `{{ "/page/" | url }}` links, `\\$`, `{#id}` on headings, links to other
chapters written as files or as the site's addresses), and what pressroom cannot render is left out
with a located warning (Liquid tags, Hugo shortcodes, MyST roles and directives, a literal
"Footnotes" heading). Cleaning keeps every line where it was, so that messages point at the source.
"""

from __future__ import annotations

import html as htmllib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from ..errors import BuildError, Problem, SourceLocation
from .frontmatter import SourceText
from .yamlfile import LineDict, parse_yaml, read_text

FENCE_RE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
ATX_RE = re.compile(r"^(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
EXPLICIT_ID_RE = re.compile(r"[ \t]*\{:?[ \t]*#([A-Za-z][\w:.-]*)[^}]*\}[ \t]*$")
ATTR_TAIL_RE = re.compile(r"[ \t]*\{:?[ \t]*[.#][^}]*\}[ \t]*$")
LINK_URL_FILTER_RE = re.compile(
    r"\{\{-?\s*(['\"])(?P<url>[^'\"]*)\1\s*\|\s*(?:url|relative_url|absolute_url|prepend:\s*site\.baseurl)\s*-?\}\}")
SITE_PREFIX_RE = re.compile(r"\{\{-?\s*site\.(?:baseurl|url)\s*-?\}\}")
LIQUID_TAG_RE = re.compile(r"\{%-?.*?-?%\}")
LIQUID_RAW_RE = re.compile(r"\{%-?\s*(?:raw|endraw)\s*-?%\}")
HUGO_RE = re.compile(r"\{\{[<%].*?[>%]\}\}")
LIQUID_OUT_RE = re.compile(r"\{\{.*?\}\}")
MYST_ROLE_RE = re.compile(r"\{(?P<role>[a-z][\w:+-]*)\}`(?P<body>[^`]*)`")
MYST_FENCE_RE = re.compile(r"^\s{0,3}(?P<fence>`{3,}|~{3,}|:{3,})\{(?P<name>[\w:-]+)\}(?P<args>.*)$")
IAL_LINE_RE = re.compile(r"^\s{0,3}\{:(?P<body>[^}]*)\}\s*$")
EXTENSION_RE = re.compile(r"\{::(?P<name>\w+)[^}]*/?\}|\{:/(?P<close>\w*)\}")
CODE_SPAN_RE = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)")
FOOTDEF_RE = re.compile(r"^\[\^[^\]\s]+\]:")
FOOTNOTE_HEADINGS = {"footnotes", "notes", "endnotes", "notes de bas de page", "notes de fin", "references",
                     "références"}
REFDEF_RE = re.compile(r"^\s{0,3}\[(?P<label>[^\]^][^\]]*)\]:\s*<?(?P<href>[^\s>]+)>?")
INLINE_LINK_RE = re.compile(r"(?<!!)\[(?P<text>(?:[^\[\]]|\[[^\]]*\])*)\]\(\s*<?(?P<href>[^)\s>]*)>?(?:\s+[\"'][^\"']*[\"'])?\s*\)")
LEAVE = 200
"""At most this many characters of a source value are quoted in a message."""


def shorten(text: str, limit: int = LEAVE) -> str:
    """`text`, cut to `limit` characters with the number left out said (for quoting source values)."""
    text = str(text)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit} more characters)"


# --- Reading -----------------------------------------------------------------------------

def read_book_source(path: Path) -> tuple[SourceText, str]:
    """A chapter of a book folder: front matter optional; the title from it, or the first `#`
    heading (taken out of the body), or the file name. Returns the source and its title."""
    text = read_text(path)
    lines = text.split("\n")
    meta, body_start = None, 0
    if lines and lines[0].strip() == "---":
        end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
        if end is None:
            raise BuildError.at(path, 1, "front matter is not closed (expected a second '---' line)")
        meta = parse_yaml("\n".join(lines[1:end]), path, line_offset=1, where="the front matter")
        if meta is not None and not isinstance(meta, LineDict):
            raise BuildError.at(path, 2, "front matter must be a mapping of keys to values (expected 'key: value' lines)")
        body_start = end + 1
    if meta is None:
        meta = LineDict()
        meta.line, meta.key_lines = 1, {}
    body_lines = lines[body_start:]
    title = meta.get("title")
    title = str(title).strip() if isinstance(title, (str, int, float)) and not isinstance(title, bool) else ""
    if not title:
        code = code_mask(body_lines)
        for i, line in enumerate(body_lines):
            if code[i] or not line.strip():
                continue
            m = ATX_RE.match(line)
            if m and len(m.group(1)) == 1:
                title = _heading_text(m.group(2))
                body_lines[i] = ""  # the title is set by the build; the line stays, blank, for line numbers
            break
    if not title:
        title = re.sub(r"^\d+[-_]", "", path.stem).replace("-", " ").replace("_", " ").strip().capitalize() or path.stem
    return SourceText(path, meta, "\n".join(body_lines), body_start + 1, text), title


def code_mask(lines: list[str]) -> list[bool]:
    """True for lines inside fenced code blocks (and their fences)."""
    mask, fence = [], None
    for line in lines:
        m = FENCE_RE.match(line)
        if fence is None and m:
            fence = m.group(1)[0] * len(m.group(1))
            mask.append(True)
        elif fence is not None and m and m.group(1).startswith(fence) and not line.strip()[len(m.group(1)):].strip():
            fence = None
            mask.append(True)
        else:
            mask.append(fence is not None)
    return mask


# --- Other tools' markup -----------------------------------------------------------------

def clean_markdown(body: str, path: Path, first_line: int) -> tuple[str, list[Problem]]:
    """The body with other tools' markup resolved or left out, line for line; and the warnings."""
    out: list[Problem] = []
    lines = body.split("\n")
    code = code_mask(lines)

    def warn(i: int, message: str) -> None:
        out.append(Problem(SourceLocation.of(path, first_line + i), message, "warning"))

    for i, line in enumerate(lines):
        m = MYST_FENCE_RE.match(line)
        if m:  # a MyST directive opens a fence that is not code: its content is kept as text
            warn(i, f"MyST directive '{{{m['name']}}}' is not supported: its content is shown as ordinary text")
            lines[i] = ""
            code[i] = False
            j, options = i + 1, True
            while j < len(lines):
                code[j] = False
                if lines[j].strip() == m["fence"]:
                    lines[j] = ""
                    break
                if options and re.match(r"^\s*:[\w-]+:", lines[j]):
                    lines[j] = ""
                else:
                    options = False
                j += 1
            continue
        if code[i]:
            continue
        if "{" not in line:
            continue
        for m in MYST_ROLE_RE.finditer(line):
            warn(i, f"MyST role '{{{m['role']}}}' is not supported: its text is shown as it is")
        line = MYST_ROLE_RE.sub(lambda m: re.sub(r"\s*<[^>]*>\s*$", "", m["body"]) or m["body"], line)
        # Inline code shows markup as it is (`{{ page.title }}` in a page about templates): kept aside.
        spans: list[str] = []

        def keep(m: re.Match) -> str:
            spans.append(m.group(0))
            return f"\x00{len(spans) - 1}\x00"
        new = CODE_SPAN_RE.sub(keep, line)
        new = LINK_URL_FILTER_RE.sub(lambda m: m["url"], new)
        new = SITE_PREFIX_RE.sub("", new)
        new = LIQUID_RAW_RE.sub("", new)
        for tag in HUGO_RE.findall(new):
            warn(i, f"Hugo shortcode '{shorten(tag, 80)}' left out (pressroom does not run Hugo shortcodes)")
        new = HUGO_RE.sub("", new)
        for tag in LIQUID_TAG_RE.findall(new):
            warn(i, f"Liquid tag '{shorten(tag, 80)}' left out (pressroom does not run Liquid templates; "
                    "put the text or image it stands for in the Markdown)")
        new = LIQUID_TAG_RE.sub("", new)
        for tag in LIQUID_OUT_RE.findall(new):
            warn(i, f"Liquid output '{shorten(tag, 80)}' left out (pressroom does not run Liquid templates)")
        new = LIQUID_OUT_RE.sub("", new)
        for m in EXTENSION_RE.finditer(new):
            warn(i, f"kramdown extension '{shorten(m.group(0), 80)}' left out (it has no meaning outside kramdown)")
        new = EXTENSION_RE.sub("", new)
        ial = IAL_LINE_RE.match(new)
        if ial:
            before = lines[i - 1].strip() if i > 0 else ""
            attrs = ial["body"].strip()
            if re.match(r"^[\w-]+:", attrs) or attrs in ("toc", "no_toc") or not before:
                warn(i, f"kramdown attribute list '{shorten(new.strip(), 80)}' left out (it applies to no "
                        "block here; pressroom keeps an attribute list written on the line after a block)")
                new = ""
        new = re.sub("\x00(\\d+)\x00", lambda m: spans[int(m.group(1))], new)
        if new != line and not new.strip() and line.strip():
            new = ""
        lines[i] = new
    # A literal "Footnotes" heading over the footnote definitions: the build places footnotes itself.
    for i, line in enumerate(lines):
        if code[i]:
            continue
        m = ATX_RE.match(line)
        if not m or _heading_text(m.group(2)).strip().lower().rstrip(":") not in FOOTNOTE_HEADINGS:
            continue
        rest = [(j, l) for j, l in enumerate(lines[i + 1:], i + 1)]
        following = [l for _, l in rest if l.strip()]
        nxt = next((k for k, (_, l) in enumerate(rest) if ATX_RE.match(l)), len(rest))
        block = [l for _, l in rest[:nxt] if l.strip()]
        if following and block and FOOTDEF_RE.match(block[0].lstrip()) and \
                all(FOOTDEF_RE.match(l) or l.startswith((" ", "\t")) for l in block):
            warn(i, f"heading '{_heading_text(m.group(2))}' left out: the footnotes it introduces are set at "
                    "the foot of their pages")
            lines[i] = ""
    return "\n".join(lines), out


# --- Headings and links ------------------------------------------------------------------

def _heading_text(raw: str) -> str:
    """The text a reader sees in a Markdown heading (no attribute list, no link targets, no markup)."""
    text = ATTR_TAIL_RE.sub("", raw)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]*)\]\[[^\]]*\]", r"\1", text)
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"(?<![\w\\])[*_]+|[*_]+(?!\w)|`", "", text)
    text = text.replace("\\", "")
    return htmllib.unescape(text).strip()


def slug(text: str) -> str:
    """The usual heading slug (GitHub, MkDocs, kramdown): lower case, words joined by dashes."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[^\w\s-]", "", text, flags=re.UNICODE)
    return re.sub(r"[\s]+", "-", text.strip()).strip("-") or "section"


def ascii_slug(text: str) -> str:
    """MkDocs' slug: accents folded to ASCII."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return slug(folded)


@dataclass
class Heading:
    """One heading of a section, as the Markdown wrote it."""

    line: int
    """Offset of its line in the body."""
    level: int
    text: str
    local: str
    """Its slug in the section (unique there) or its explicit `{#id}`."""
    explicit: bool
    aliases: tuple[str, ...] = ()


def scan_headings(body: str) -> list[Heading]:
    """Every ATX heading of a body, outside code, with its local id."""
    lines = body.split("\n")
    code = code_mask(lines)
    used: dict[str, int] = {}
    out = []
    for i, line in enumerate(lines):
        if code[i]:
            continue
        m = ATX_RE.match(line)
        if not m:
            continue
        raw = m.group(2)
        text = _heading_text(raw)
        explicit = EXPLICIT_ID_RE.search(raw)
        if explicit:
            local = explicit.group(1)
            aliases = ()
        else:
            base = slug(text)
            n = used.get(base, 0)
            local = base if n == 0 else f"{base}-{n}"
            used[base] = n + 1
            # Other tools' spellings of the same anchor: accents folded, GitHub's kept trailing dash.
            github = re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", text.lower()))
            aliases = tuple(a for a in {ascii_slug(text), github} if a and a != local)
        out.append(Heading(i, len(m.group(1)), text, local, bool(explicit), aliases))
    return out


@dataclass
class Page:
    """What links can reach in one section."""

    id: str
    rel: str
    permalink: str
    headings: list[Heading]
    ids: dict = field(default_factory=dict)
    """Local id or alias -> id in the document."""


class Anchors:
    """Heading ids of a set of sections, unique in the document, and the links between them.

    A heading keeps its usual slug (or its explicit `{#id}`) when no other heading or section of the
    document has it, and is prefixed with its section's id when one does."""

    def __init__(self, sections, recommendations=()):
        self.pages: dict[str, Page] = {}
        self.global_ids = {s.id for s in sections} | {r.id for r in recommendations} | {"contents", "recommendations"}
        counts: dict[str, int] = {}
        for s in sections:
            page = Page(s.id, s.rel, (getattr(s, "permalink", "") or "").strip(), scan_headings(s.body))
            self.pages[s.id] = page
            for h in page.headings:
                counts[h.local] = counts.get(h.local, 0) + 1
        for page in self.pages.values():
            for h in page.headings:
                if h.explicit or (counts[h.local] == 1 and h.local not in self.global_ids):
                    gid = h.local
                else:
                    gid = f"{page.id}-{h.local}"
                page.ids[h.local] = gid
                for a in h.aliases:
                    page.ids.setdefault(a, gid)
        self.by_rel = {p.rel: p for p in self.pages.values()}

    def heading_ids(self, section_id: str) -> list[str]:
        """The document ids of a section's headings, in order."""
        page = self.pages.get(section_id)
        return [page.ids[h.local] for h in page.headings] if page else []

    def all_ids(self) -> set[str]:
        """Every heading id in the document."""
        return {gid for p in self.pages.values() for gid in p.ids.values()}

    def _page_for(self, page: Page, path: str) -> Page | None:
        path = unquote(path.split("?", 1)[0])
        if not path:
            return page
        here = PurePosixPath(page.rel).parent
        candidates = []
        if not path.startswith("/"):
            joined = _normalise(str(here / path))
            if joined is not None:
                candidates += [joined, f"{joined}.md", f"{joined}/index.md", re.sub(r"\.html?$", ".md", joined)]
        for c in candidates:
            if c in self.by_rel:
                return self.by_rel[c]
        wanted = path.rstrip("/")
        for p in self.pages.values():
            if p.permalink and p.permalink.rstrip("/") == wanted:
                return p
        # A site's address of a page (`../other/`, `/guide/other.html`): its last part names the file.
        last = re.sub(r"(/index)?\.(md|html?)$", "", path.rstrip("/")).rsplit("/", 1)[-1]
        if not last or last in (".", ".."):
            return None
        for p in self.pages.values():
            stem = PurePosixPath(p.rel).stem
            if last in (stem, re.sub(r"^\d+[-_]", "", stem), p.id) or \
                    (p.permalink and p.permalink.rstrip("/").rsplit("/", 1)[-1] == last):
                return p
        return None

    def resolve(self, section_id: str, href: str) -> tuple[str, str]:
        """What a link from a section leads to: ("external", href), ("internal", id), ("no-page", path),
        ("no-anchor", fragment) or ("outside", href)."""
        href = href.strip()
        if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", href):
            scheme = href.split(":", 1)[0].lower()
            return ("outside", href) if scheme == "file" else ("external", href)
        if href.startswith("//"):
            return "external", href
        path, _, frag = href.partition("#")
        frag = unquote(frag)
        here = self.pages.get(section_id)
        if here is None:  # a recommendation: its links reach sections and recommendations by id
            if path:
                return "no-page", path
            return ("internal", frag) if frag in self.global_ids or frag in self.all_ids() else ("no-anchor", frag)
        page = self._page_for(here, path)
        if page is None:
            return "no-page", path
        if not frag:
            return "internal", page.id
        if frag in page.ids:
            return "internal", page.ids[frag]
        if frag in page.ids.values() or frag in self.global_ids:
            return "internal", frag
        if page is here and frag in self.all_ids():
            return "internal", frag
        return "no-anchor", frag


def _normalise(path: str) -> str | None:
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
        else:
            parts.append(part)
    return "/".join(parts)


def link_hrefs(body: str):
    """(line offset, href) of every inline link and link reference definition outside code."""
    lines = body.split("\n")
    code = code_mask(lines)
    for i, line in enumerate(lines):
        if code[i] or ("](" not in line and "]:" not in line):
            continue
        scrubbed = re.sub(r"`[^`]*`", "", line)
        for m in INLINE_LINK_RE.finditer(scrubbed):
            yield i, m["href"]
        m = REFDEF_RE.match(scrubbed)
        if m:
            yield i, m["href"]
