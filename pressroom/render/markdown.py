"""Markdown to HTML fragments: the one configured Python-Markdown and pressroom's extensions."""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from urllib.parse import unquote

import markdown
from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor

from ..load.lint import DIRECTIVE_RE, code_mask
from .emoji import replace_emoji

FOOTNOTE_ELEMENT = "pr-footnote"
"""The element a footnote is made of in print: WeasyPrint floats it to the foot of the page, and the
PDF tags it as a /Note (pressroom.pdf.structure)."""

# --- Rendering ---------------------------------------------------------------------------

@dataclass(frozen=True)
class RenderContext:
    """What a Markdown render needs to know about the edition it is for."""

    section_id: str
    """Prefix for ids made in this fragment (footnotes, headings)."""
    audience: str | None
    """Edition audience; None keeps every audience passage, flagged."""
    audience_labels: dict
    """Audience id to reader-facing short label."""
    anchors: frozenset
    """Anchors present in the edition: links to others are unwrapped."""
    footnotes: str
    """`print` (footnotes float to the foot of the page) or `web` (endnotes with links)."""
    figure: Callable[[str], str] | None = None
    """Generated figure name -> data URI."""
    for_label: str = "For"
    """Word that introduces an audience passage's readers in the full report."""
    typography: Callable[[str], str] | None = None
    """Language-specific typography applied to text nodes (French spaces)."""
    heading_shift: int = 0
    """Added to every heading level (the web edition nests chapters one level deeper)."""
    headings: tuple = ()
    """Document ids of this fragment's headings, in order (pressroom.load.book.Anchors); empty: made
    from the section prefix and the heading's slug."""
    links: Callable[[str], str | None] | None = None
    """A link's href -> `#id` in the document, `None` for a link to leave as plain text, or the href
    itself for a link out of the document; None: links to `#id` are kept when the edition holds it."""
    image_base: str = ""
    """The section's folder under the manuscript root (a book's chapter): relative image paths start there."""
    image_root: Path | None = None
    """The manuscript root, to tell which of the chapter's folder or the root holds an image."""


class _DirectivePreprocessor(Preprocessor):
    """`::: pullquote` / `::: audience ids` blocks to HTML divs with Markdown inside."""

    def __init__(self, md, ctx: RenderContext):
        super().__init__(md)
        self.ctx = ctx

    def run(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        stack: list[tuple[bool, str]] = []  # (kept, closing tag) per open block
        code = code_mask(lines)

        def visible() -> bool:
            return all(kept for kept, _ in stack)

        for i, line in enumerate(lines):
            stripped = line.strip()
            if code[i] or not stripped.startswith(":::"):
                if visible():
                    out.append(line)
                continue
            m = DIRECTIVE_RE.match(stripped)
            name = m and m["name"]
            if not name:
                if stack:
                    shown = visible()
                    kept, closing = stack.pop()
                    if shown:
                        out += ["", closing, ""]
                continue
            if name == "audience":
                ids = m["args"].split()
                keep = self.ctx.audience is None or self.ctx.audience in ids
                if visible() and keep:
                    labels = ", ".join(self.ctx.audience_labels.get(a, a) for a in ids)
                    out += ["", f'<div class="audience-passage" data-audience="{" ".join(ids)}" markdown="1">', ""]
                    if self.ctx.audience is None:
                        out += [f'<p class="audience-label">{_escape(self.ctx.for_label)} {_escape(labels)}</p>', ""]
                stack.append((keep, "</div>"))
                continue
            tag = "aside" if name == "pullquote" else "div"
            if visible():
                out += ["", f'<{tag} class="{name}" markdown="1">', ""]
            stack.append((True, f"</{tag}>"))
        while stack:  # left open: lint reports it; close so the HTML stays well formed
            shown = visible()
            _, closing = stack.pop()
            if shown:
                out += ["", closing, ""]
        return out


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slug(text: str) -> str:
    text = re.sub(r"[^\w\s-]", "", text.lower(), flags=re.UNICODE)
    return re.sub(r"[\s_]+", "-", text).strip("-")[:60] or "section"


def _image_src(src: str, ctx: RenderContext) -> str:
    """An image path as the renderer finds it from the manuscript root."""
    if not src or re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:|^//", src):
        return src
    if src.startswith("/"):
        return src.lstrip("/")
    if ctx.image_base:
        joined = posixpath.normpath(posixpath.join(ctx.image_base, src))
        if not joined.startswith("..") and (ctx.image_root / unquote(joined)).is_file():
            return joined
    return src


LONG_WORD_RE = re.compile(r"\S{21,}")
STASH_RE = re.compile("\x02[^\x03]*\x03")
BREAK_AFTER_RE = re.compile(r"(?<=[/._\-=&?:,])(?=[^/._\-=&?:,])")


def _break_long_words(cell: etree.Element) -> None:
    """Break opportunities (<wbr>) inside the long words of a table cell (addresses, code), after
    their slashes, dots and dashes, so that a table from a real book does not run off the page."""
    def pieces(text: str) -> list[str]:
        out, last = [], 0
        # Python-Markdown's placeholders for entities and raw HTML (\x02...\x03) are never cut.
        kept = [(p.start(), p.end()) for p in STASH_RE.finditer(text)]
        for m in LONG_WORD_RE.finditer(text):
            if len(STASH_RE.sub("", m.group(0))) < 21:
                continue
            cuts = [c.start() + m.start() for c in BREAK_AFTER_RE.finditer(m.group(0))]
            cuts += list(range(m.start() + 20, m.end(), 20)) if not cuts else []
            cuts = [c for c in cuts if not any(a < c < b for a, b in kept)]
            for cut in sorted(set(c for c in cuts if m.start() < c < m.end())):
                out.append(text[last:cut])
                last = cut
        out.append(text[last:])
        return out

    for el in list(cell.iter()):
        if el.text and LONG_WORD_RE.search(el.text):
            parts = pieces(el.text)
            el.text = parts[0]
            for k, part in enumerate(parts[1:]):
                wbr = etree.Element("wbr")
                wbr.tail = part
                el.insert(k, wbr)
        for child in list(el):
            if child.tag != "wbr" and child.tail and LONG_WORD_RE.search(child.tail):
                parts = pieces(child.tail)
                child.tail = parts[0]
                at = list(el).index(child) + 1
                for k, part in enumerate(parts[1:]):
                    wbr = etree.Element("wbr")
                    wbr.tail = part
                    el.insert(at + k, wbr)


class _FinishTree(Treeprocessor):
    """Ids, captions, figures, footnotes and links, after inline processing."""

    def __init__(self, md, ctx: RenderContext):
        super().__init__(md)
        self.ctx = ctx

    def run(self, root: etree.Element) -> None:
        ctx = self.ctx
        # Heading levels never skip (a book's site generator may have let them); then heading ids:
        # the document's ids in order when the fragment has the headings the Markdown wrote,
        # else the section prefix and the slug.
        heads = [el for el in root.iter() if len(el.tag) == 2 and el.tag[0] == "h" and el.tag[1] in "123456"]
        last = 1
        for el in heads:
            level = max(2, min(int(el.tag[1]), last + 1))
            if f"h{level}" != el.tag:
                el.tag = f"h{level}"
            last = level
        if ctx.headings and len(ctx.headings) == len(heads):
            for el, hid in zip(heads, ctx.headings):
                el.set("id", hid)
        used: set[str] = set()
        for el in root.iter():
            if el.tag in ("h2", "h3", "h4") and "id" not in el.attrib:
                base = f"{ctx.section_id}-{_slug(''.join(el.itertext()))}"
                hid, n = base, 2
                while hid in used:
                    hid, n = f"{base}-{n}", n + 1
                used.add(hid)
                el.set("id", hid)
        # Images: a site's root-relative path starts at the manuscript root, a book chapter's
        # relative path at its own folder.
        if ctx.image_root is not None:
            for img in root.iter("img"):
                img.set("src", _image_src(img.get("src", ""), ctx))
        # "Table: caption" paragraphs become the caption of the table that follows.
        for parent in list(root.iter()):
            kids = list(parent)
            for a, b in zip(kids, kids[1:]):
                if a.tag == "p" and b.tag == "table" and (a.text or "").startswith("Table:"):
                    caption = etree.Element("caption")
                    caption.text = a.text[len("Table:"):].strip()
                    for c in list(a):
                        caption.append(c)
                    b.insert(0, caption)
                    parent.remove(a)
        # On the web a wide table scrolls in its own box, which the keyboard can reach (WCAG 2.1.1).
        if ctx.footnotes == "web":
            for n, (parent, table) in enumerate([(p, t) for p in list(root.iter()) for t in list(p) if t.tag == "table"], 1):
                wrap = etree.Element("div", {"class": "table-wrap", "role": "region", "tabindex": "0"})
                caption = table.find("caption")
                if caption is not None:
                    caption.set("id", f"{ctx.section_id}-table-{n}")
                    wrap.set("aria-labelledby", f"{ctx.section_id}-table-{n}")
                else:
                    wrap.set("aria-label", "Table")
                index = list(parent).index(table)
                parent.remove(table)
                wrap.append(table)
                wrap.tail, table.tail = table.tail, None
                parent.insert(index, wrap)
        # A paragraph holding only an image becomes a figure with its title as caption.
        for parent in list(root.iter()):
            for i, p in enumerate(list(parent)):
                if p.tag == "p" and len(p) == 1 and p[0].tag == "img" and not (p.text or "").strip() \
                        and not (p[0].tail or "").strip():
                    img = p[0]
                    fig = etree.Element("figure")
                    src = img.get("src", "")
                    if src.startswith("generated:") and ctx.figure:
                        img.set("src", ctx.figure(src.split(":", 1)[1]))
                        fig.set("class", "generated")
                    img.tail = None
                    fig.append(img)
                    title = img.attrib.pop("title", None)
                    if title:
                        cap = etree.SubElement(fig, "figcaption")
                        cap.text = title
                    idx = list(parent).index(p)
                    parent.remove(p)
                    parent.insert(idx, fig)
        # Links to anchors the edition does not hold are unwrapped into plain text.
        for parent in list(root.iter()):
            for i, a in enumerate(list(parent)):
                if a.tag != "a" or "footnote" in a.get("class", "") or a.get("href") is None:
                    continue
                href = a.get("href", "")
                if ctx.links is not None and not href.startswith(("#fn", "#fnref")):
                    target = ctx.links(href)
                    if target is not None:
                        a.set("href", target)
                        href = target
                    else:
                        href = "#"  # a chapter this publication does not hold: plain text below
                if href.startswith("#") and href[1:] not in ctx.anchors:
                    span = etree.Element("span")
                    span.set("class", "xref-absent")
                    span.text, span.tail = a.text, a.tail
                    for c in list(a):
                        span.append(c)
                    parent.remove(a)
                    parent.insert(i, span)
                elif re.match(r"^#[A-Z]{2}-\d+$", href):
                    a.set("class", (a.get("class", "") + " xref-rec").strip())
        if ctx.typography:  # before the footnotes move: a call's word is then the typeset one
            _typeset(root, ctx.typography)
        self._footnotes(root)
        if ctx.heading_shift:
            for el in root.iter():
                if len(el.tag) == 2 and el.tag[0] == "h" and el.tag[1].isdigit():
                    el.tag = f"h{min(6, int(el.tag[1]) + ctx.heading_shift)}"
        replace_emoji(root)
        for cell in [c for c in root.iter() if c.tag in ("td", "th")]:
            _break_long_words(cell)

    def _footnotes(self, root: etree.Element) -> None:
        ctx = self.ctx
        div = next((d for d in root.iter("div") if d.get("class") == "footnote"), None)
        if div is None:
            return
        parents = {c: p for p in root.iter() for c in p}  # the tree as the steps above left it
        items = {li.get("id"): li for li in div.iter("li")}
        prefix = ctx.section_id
        if ctx.footnotes == "print":
            # WeasyPrint floats `.footnote` spans to the foot of the page where they are called.
            for sup in [s for s in root.iter("sup") if (s.get("id") or "").startswith("fnref")]:
                a = sup.find("a")
                li = items.get((a.get("href") or "")[1:]) if a is not None else None
                if li is None:
                    continue
                # An element of its own name, which the PDF tags as a /Note (pressroom.pdf.structure).
                span = etree.Element(FOOTNOTE_ELEMENT)
                span.set("class", "footnote")
                first = True
                for p in li:
                    for back in [b for b in p.iter("a") if "footnote-backref" in (b.get("class") or "")]:
                        parents_p = {c: q for q in p.iter() for c in q}
                        holder = parents_p[back]
                        _remove_keep_tail(holder, back)
                    if not first:
                        span.text = (span.text or "")
                        if len(span):
                            span[-1].tail = (span[-1].tail or "") + " "
                        else:
                            span.text += " "
                    _move_children(p, span)
                    first = False
                parent = parents[sup]
                idx = list(parent).index(sup)
                parent.remove(sup)
                # The call and the word it follows are kept on one line (`.fn-w`, nowrap): a call
                # must never start a line away from its word.
                wrap = etree.Element("span")
                wrap.set("class", "fn-w")
                wrap.tail = sup.tail
                before = parent.text if idx == 0 else parent[idx - 1].tail
                word = re.search(r"(?:[^\s]|[\u00a0\u202f])+$", before or "")
                if word:
                    if idx == 0:
                        parent.text = before[:word.start()]
                    else:
                        parent[idx - 1].tail = before[:word.start()]
                    wrap.text = word.group(0)
                elif idx > 0 and not before:
                    prev = parent[idx - 1]
                    parent.remove(prev)
                    idx -= 1
                    wrap.append(prev)
                wrap.append(span)
                parent.insert(idx, wrap)
            parents[div].remove(div)
            return
        for el in root.iter():
            for attr in ("id", "href"):
                v = el.get(attr)
                if v and (v.startswith("fn:") or v.startswith("fnref:") or v.startswith("#fn:") or v.startswith("#fnref:")):
                    el.set(attr, v.replace("fnref:", f"{prefix}-fnref-").replace("fn:", f"{prefix}-fn-"))
        div.set("class", "footnotes")
        div.set("role", "doc-endnotes")
        hr = div.find("hr")
        if hr is not None:
            div.remove(hr)


def _typeset(el: etree.Element, typo: Callable[[str], str]) -> None:
    """The language's typography on the text of `el` and its descendants, except inside code and
    inside spans in another language (`*Waging Modern War*{lang=en}` in French text keeps its
    colon unspaced and gets English quotation marks); each tail belongs to the parent's language."""
    lang = el.get("lang")
    if lang is not None and not lang.lower().startswith("fr"):
        from .i18n import smart_quotes
        typo = smart_quotes
    if el.tag not in ("code", "pre") and el.text:
        el.text = typo(el.text)
    for child in el:
        _typeset(child, typo)
        if child.tail:
            child.tail = typo(child.tail) if el.tag not in ("code", "pre") else child.tail
    return None


def _move_children(src: etree.Element, dst: etree.Element) -> None:
    """Append src's text and children to dst."""
    if src.text:
        if len(dst):
            dst[-1].tail = (dst[-1].tail or "") + src.text
        else:
            dst.text = (dst.text or "") + src.text
    for c in list(src):
        dst.append(c)


def _remove_keep_tail(parent: etree.Element, el: etree.Element) -> None:
    idx = list(parent).index(el)
    tail = (el.tail or "").rstrip()
    if idx > 0:
        prev = parent[idx - 1]
        prev.tail = ((prev.tail or "") + tail).rstrip()
    else:
        parent.text = ((parent.text or "") + tail).rstrip()
    parent.remove(el)


class PressroomExtension(Extension):
    """Directives and finishing for one render context."""

    def __init__(self, ctx: RenderContext):
        super().__init__()
        self.ctx = ctx

    def extendMarkdown(self, md) -> None:  # noqa: N802 - Python-Markdown API
        md.preprocessors.register(_DirectivePreprocessor(md, self.ctx), "pressroom-directives", 35)
        # Below the inline processor (20) so footnote references and links exist as elements.
        md.treeprocessors.register(_FinishTree(md, self.ctx), "pressroom-finish", 5)


def render_markdown(text: str, ctx: RenderContext) -> str:
    """Markdown to an HTML fragment; a fresh converter each time (no state carried over)."""
    # French quotes and apostrophes come from the French typography pass, not from smarty.
    smart = [] if ctx.typography else ["smarty"]
    md = markdown.Markdown(
        extensions=["footnotes", "tables", "attr_list", "md_in_html", "sane_lists", "admonition", *smart,
                    PressroomExtension(ctx)],
        extension_configs={"footnotes": {"BACKLINK_TITLE": "Back to text"},
                           "smarty": {"smart_angled_quotes": False}},
        output_format="html",
    )
    md.ESCAPED_CHARS.append("$")  # `\$` is a dollar sign, as in kramdown, Pandoc and MkDocs
    html = md.convert(text)
    if ctx.footnotes == "print":
        html = html.replace("&#160;</span>", "</span>")
    return html
