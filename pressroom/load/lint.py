"""The Markdown linter: what a source's Markdown can get wrong (links, images, headings, footnotes,
directives), found while loading, before anything is rendered; and the syntax it shares with the renderer."""

from __future__ import annotations

import base64
import html
import os
import re
import xml.etree.ElementTree as etree
from pathlib import Path
from urllib.parse import unquote, unquote_to_bytes

from ..errors import Problem, SourceLocation, expected, suggest
from .book import link_hrefs, shorten
from .glyphs import describe_char, missing

DIRECTIVE_RE = re.compile(r"^:::\s*(?P<name>[A-Za-z][\w-]*)?(?P<args>[^\n]*)$")


FENCE_RE = re.compile(r"^(```|~~~)")


LINK_RE = re.compile(r"(?<!!)\[(?P<text>[^\]]*)\]\((?P<href>[^)\s]+)(?:\s+\"[^\"]*\")?\)")


IMAGE_RE = re.compile(r"!\[(?P<alt>[^\]]*)\]\((?P<src>[^)\s]+)(?:\s+\"(?P<title>[^\"]*)\")?\)")


HEADING_RE = re.compile(r"^(#{1,6})\s+\S")


FOOTREF_RE = re.compile(r"\[\^([^\]\s]+)\](?!:)")


FOOTDEF_RE = re.compile(r"^\[\^([^\]\s]+)\]:")


DIRECTIVES = ("pullquote", "audience")


GENERATED = ("recommendation-matrix",)


IMAGE_TYPES = (".svg", ".png", ".jpg", ".jpeg", ".gif", ".webp")


TABLE_RULE_RE = re.compile(r"^\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?$")
"""The line under a pipe table's header row."""


def code_mask(lines: list[str]) -> list[bool]:
    """True for lines inside fenced code blocks (which hold no directives or links)."""
    mask, inside = [], False
    for line in lines:
        if FENCE_RE.match(line.strip()):
            mask.append(True)
            inside = not inside
            continue
        mask.append(inside)
    return mask


def lint_markdown(body: str, path: Path, first_line: int, targets: set[str],
                  audiences: list[str], root: Path, anchors=None, section_id: str = "",
                  book: bool = False) -> list[Problem]:
    """Problems in one Markdown body: directives, audiences, links, images, headings, footnotes.

    `anchors` (pressroom.book.Anchors) resolves links to headings and other chapters; `book`: the
    body belongs to a book folder, whose heading levels are the site generator's (a skip is a
    warning, and the build evens it out)."""
    out: list[Problem] = []

    def err(offset: int, message: str) -> None:
        out.append(Problem(SourceLocation.of(path, first_line + offset), message))

    def warn(offset: int, message: str) -> None:
        out.append(Problem(SourceLocation.of(path, first_line + offset), message, "warning"))

    lines = body.split("\n")
    code = code_mask(lines)
    stack: list[tuple[int, str]] = []
    last_level = 1
    chapter_dir = path.parent if book else root
    deep_reported = False
    refs: dict[str, int] = {}
    defs: dict[str, int] = {}
    for i, line in enumerate(lines):
        if code[i]:
            continue
        stripped = line.strip()
        gaps = missing(line)
        if gaps:
            shown = ", ".join(describe_char(ch) for ch in dict.fromkeys(ch for _, ch in gaps[:5]))
            warn(i, f"no font of the publication has {shown}: it would print as an empty box (expected "
                    "text in the Latin, Greek or Cyrillic scripts, or an emoji)")
        depth = _nesting(line)
        if depth > MAX_NESTING and not deep_reported:
            err(i, f"blockquotes or lists nested {depth} deep (expected at most {MAX_NESTING} levels)")
            deep_reported = True
        if "<base" in line.lower() and BASE_RE.search(line):
            err(i, "a <base> element changes where every link and image of the document points "
                   "(expected no <base>: links and images are paths in the manuscript)")
        if stripped.startswith(":::"):
            m = DIRECTIVE_RE.match(stripped)
            name = m and m["name"]
            if not name:
                if stripped != ":::":
                    err(i, f"malformed directive '{stripped}' (expected '::: pullquote', '::: audience ID...' or ':::')")
                elif not stack:
                    err(i, "':::' closes nothing (expected an opening '::: pullquote' or '::: audience ...' before it)")
                else:
                    stack.pop()
                continue
            if name not in DIRECTIVES:
                err(i, f"unknown directive '{name}'{suggest(name, DIRECTIVES)} (expected {expected(DIRECTIVES)})")
            if name == "audience":
                ids = m["args"].split()
                if not ids:
                    err(i, f"'::: audience' needs at least one audience id (expected {expected(audiences)})")
                for a in ids:
                    if a not in audiences:
                        err(i, f"unknown audience '{a}'{suggest(a, audiences)} (expected {expected(audiences)})")
            stack.append((i, f"::: {name}"))
            continue
        hm = HEADING_RE.match(line)
        if hm:
            level = len(hm.group(1))
            if level == 1 and book:
                warn(i, "level-1 heading in the body: set as a section heading (the chapter title is the "
                        "file's title or its first '#' heading)")
                level = 2
            elif level == 1:
                err(i, "level-1 heading in the body (the title comes from front matter; expected '##' for sections)")
            elif level > last_level + 1 and book:
                warn(i, f"heading level skips from {last_level} to {level}: set as level {last_level + 1}")
                level = last_level + 1
            elif level > last_level + 1:
                err(i, f"heading level skips from {last_level} to {level} (expected at most {'#' * (last_level + 1)})")
            last_level = level
        if "|" in stripped and i + 1 < len(lines) and "-" in lines[i + 1] and TABLE_RULE_RE.match(lines[i + 1].strip()):
            cells = stripped.removeprefix("|").removesuffix("|").split("|")
            for n, cell in enumerate(cells, 1):
                if not cell.strip():
                    err(i, f"table header cell {n} is empty (expected a name for the column: screen readers "
                           "announce each cell with its header)")
        for fm in FOOTDEF_RE.finditer(line):
            defs.setdefault(fm.group(1), i)
        for fm in FOOTREF_RE.finditer(line):
            if not FOOTDEF_RE.match(line[fm.start():]) or fm.start() != 0:
                refs.setdefault(fm.group(1), i)
        if anchors is None:
            for lm in LINK_RE.finditer(line):
                href = lm["href"]
                if href.startswith("#"):
                    if href[1:] not in targets:
                        kind = "recommendation" if re.match(r"^#[A-Z]{2}-\d+$", href) else "section"
                        err(i, f"link to unknown {kind} '{href[1:]}'{suggest(href[1:], targets)} "
                               "(expected a recommendation id or a section id)")
                elif href.startswith(("file:", "/")) or ".." in href.split("/"):
                    err(i, f"link '{shorten(href)}' points outside the manuscript (expected '#id' or an http(s) address)")
        for im in IMAGE_RE.finditer(line):
            src, alt = im["src"], im["alt"].strip()
            if not alt:
                err(i, f"image '{shorten(src)}' has no alternative text (expected ![description]({shorten(src)}))")
            out.extend(image_problems(src, path, first_line + i, root, chapter_dir))
        if "<img" in line.lower():
            for im in RAW_IMG_RE.finditer(line):
                src = html_unescape(next((g for g in im.groups() if g is not None), "")).strip()
                out.extend(image_problems(src, path, first_line + i, root, chapter_dir))
        if "<" in line:  # iframes and media are the web edition's check (pressroom.render.urls)
            for url in raw_fetches(line):
                why = refused(url, root, chapter_dir)
                if why:
                    err(i, f"refused to load '{shorten(url)}' (only files inside the manuscript and styles "
                           "folders, and data: URIs, may be used)")
            for tag, url in STYLE_ATTR_URL_RE_findall(line):
                if refused(url, root, chapter_dir):
                    err(i, f"refused to load '{shorten(url)}' (<{tag} style> in the web edition and the PDF: only "
                           "files inside the manuscript and data: URIs may be used)")
    if anchors is not None:
        out.extend(lint_links(body, path, first_line, anchors, section_id, targets, book))
    for start, name in stack:
        err(start, f"'{name}' is not closed (expected a ':::' line after its text)")
    for label, i in refs.items():
        if label not in defs:
            err(i, f"footnote '[^{label}]' has no definition (expected a line '[^{label}]: ...')")
    for label, i in defs.items():
        if label not in refs:
            err(i, f"footnote '[^{label}]' is defined but never called")
    return out


RAW_IMG_RE = re.compile(r"<img\b[^>]*?\bsrc\s*=\s*(?:\"(?P<a>[^\"]*)\"|'(?P<b>[^']*)'|(?P<c>[^\s>]+))", re.I)


MAX_NESTING = 40
"""Blockquotes and lists deeper than this cannot be laid out (the renderers recurse per level)."""
BASE_RE = re.compile(r"<base\b", re.I)


def _nesting(line: str) -> int:
    """How deep a line nests blockquotes (`>` marks) or list items (indentation)."""
    quotes = len(re.match(r"^(?:\s*>)*", line).group(0).replace(" ", "").replace("\t", ""))
    m = re.match(r"^(\s*)(?:[-*+]|\d+[.)])\s", line)
    items = len(m.group(1).expandtabs(4)) // 2 + 1 if m else 0
    return max(quotes, items)


FETCHING_TAG_RE = re.compile(r"<(?P<tag>link|object|embed|a)\b"
                             r"(?P<attrs>[^>]*)>", re.I)
ATTR_RE = re.compile(r"\b(?P<name>src|href|data|poster|srcset|xlink:href)\s*=\s*(?:\"(?P<a>[^\"]*)\"|'(?P<b>[^']*)'|(?P<c>[^\s>]+))", re.I)
CSS_URL_RE = re.compile(r"(?:url\(\s*[\"']?(?P<u>[^\"')]*)|@import\s+[\"'](?P<i>[^\"']*))", re.I)


def raw_fetches(line: str):
    """URLs the PDF renderer would load for the raw HTML of a line: stylesheets and attachments (links
    only when they attach a file), objects; images are image_problems', the rest the web check's."""
    for m in FETCHING_TAG_RE.finditer(line):
        tag, attrs = m["tag"].lower(), m["attrs"]
        if tag == "a" and not re.search(r"\brel\s*=\s*[\"']?[^\"'>]*attachment", attrs, re.I):
            continue
        for a in ATTR_RE.finditer(attrs):
            value = html_unescape(next(g for g in (a["a"], a["b"], a["c"]) if g is not None)).strip()
            if a["name"].lower() == "srcset":
                yield from (part.strip().split()[0] for part in value.split(",") if part.strip())
            elif tag == "a" and a["name"].lower() != "href":
                continue
            else:
                yield value
    if "<style" in line.lower():  # a stylesheet in the page: the PDF renderer loads its url()s
        for m in CSS_URL_RE.finditer(html_unescape(line.split(">", 1)[-1] if "<style" in line.lower() else line)):
            yield (m["u"] or m["i"] or "").strip()


STYLE_ATTR_RE = re.compile(r"<(?P<tag>[a-zA-Z][\w-]*)\b[^>]*\bstyle\s*=\s*(?:\"(?P<a>[^\"]*)\"|'(?P<b>[^']*)')", re.I)


def STYLE_ATTR_URL_RE_findall(line: str) -> list[tuple[str, str]]:  # noqa: N802 - reads as the regex it wraps
    """(tag, url) of every url() in a style attribute of the line."""
    out = []
    for m in STYLE_ATTR_RE.finditer(line):
        css = html_unescape(m["a"] if m["a"] is not None else m["b"])
        out += [(m["tag"].lower(), (u["u"] or u["i"] or "").strip()) for u in CSS_URL_RE.finditer(css)]
    return out


def refused(url: str, root: Path, chapter_dir: Path) -> bool:
    """Whether the renderer's URL fetcher would refuse `url` (pressroom.pdf.layout.make_fetcher)."""
    if not url or url.startswith("#") or url.lower().startswith("data:"):
        return False
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:|^//", url):
        return True
    target = image_path(url, root, chapter_dir)
    if target is None:
        return True
    try:
        return target.exists() and not _inside(target, root)
    except (OSError, ValueError):
        return True


def html_unescape(text: str) -> str:
    return html.unescape(text)


def image_path(src: str, root: Path, chapter_dir: Path) -> Path | None:
    """The file an image path names: `/x` from the manuscript root (a site's root), a relative path
    from the chapter's folder, then from the root. None for a path that leaves the manuscript."""
    src = unquote(src.split("#", 1)[0].split("?", 1)[0])
    if src.startswith("/"):
        candidates = [root / src.lstrip("/")]
    else:
        candidates = [chapter_dir / src, root / src] if chapter_dir != root else [root / src]
    for c in candidates:
        try:
            rel = Path(os.path.normpath(c)).relative_to(os.path.normpath(root))
        except ValueError:
            continue
        target = root / rel
        if target.is_file() or target.is_symlink():
            return target
    for c in candidates:
        try:
            return root / Path(os.path.normpath(c)).relative_to(os.path.normpath(root))
        except ValueError:
            continue
    return None


def image_problems(src: str, path: Path, line: int, root: Path, chapter_dir: Path) -> list[Problem]:
    """What is wrong with one image: remote, leaving the manuscript, missing, not an image."""
    loc = SourceLocation.of(path, line)
    shown = shorten(src)
    if src.startswith("generated:"):
        name = src.split(":", 1)[1]
        if name not in GENERATED:
            return [Problem(loc, f"unknown generated figure '{shorten(name)}'{suggest(name, GENERATED)} (expected {expected(GENERATED)})")]
        return []
    if re.match(r"^(https?:)?//", src, re.I):
        name = src.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] or "image.png"
        name = re.sub(r"[^\w.-]", "", name)[:60] or "image.png"
        return [Problem(loc, f"remote image '{shown}' is not fetched (a publication is built from its own "
                             f"files: download it into the manuscript folder, e.g. as figures/{name}, and "
                             "give that path instead)")]
    if src.lower().startswith("data:"):
        return check_data_uri(src, loc)
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", src):
        return [Problem(loc, f"image '{shown}' is not a file inside the manuscript (expected a path such as figures/map.svg)")]
    target = image_path(src, root, chapter_dir)
    if target is None:
        return [Problem(loc, f"image '{shown}' is not a file inside the manuscript (expected a path such as figures/map.svg)")]
    try:
        found = target.is_file()
        inside = _inside(target, root)
    except (OSError, ValueError):
        found, inside = False, True
    if not found:
        return [Problem(loc, f"image not found: '{shown}' (expected a file at {target.as_posix()})")]
    if not inside:
        return [Problem(loc, f"image '{shown}' is a link to a file outside the manuscript (expected the image file "
                             f"itself inside {root.as_posix()}/, not a symbolic link leading out of it)")]
    if target.suffix.lower() not in IMAGE_TYPES:
        return [Problem(loc, f"'{shown}' is not an image (expected one of: {', '.join(IMAGE_TYPES)})")]
    return check_image(target, path, line, src)


def check_data_uri(src: str, loc: SourceLocation) -> list[Problem]:
    """A data: image must decode, and be an image of a kind the renderer reads."""
    head, _, payload = src.partition(",")
    mime = head[5:].split(";", 1)[0].strip().lower()
    try:
        data = base64.b64decode(payload, validate=False) if ";base64" in head.lower() else unquote_to_bytes(payload)
    except (ValueError, TypeError):
        return [Problem(loc, f"data: image '{shorten(src, 60)}' does not decode (expected base64 after ';base64,')")]
    kinds = {"image/png": b"\x89PNG", "image/jpeg": b"\xff\xd8", "image/gif": b"GIF8"}
    if mime == "image/svg+xml":
        text = data[:65536].decode("utf-8", "replace")
        if "<svg" not in text:
            return [Problem(loc, f"data: image '{shorten(src, 60)}' is not an SVG image (expected an <svg> document)")]
        return []
    if mime in kinds and not data.startswith(kinds[mime]):
        return [Problem(loc, f"data: image '{shorten(src, 60)}' is not of type {mime} (its content does not "
                             "match its type)")]
    if mime not in kinds and mime != "image/webp":
        return [Problem(loc, f"data: URI '{shorten(src, 60)}' is not an image (expected image/png, image/jpeg, "
                             "image/gif or image/svg+xml)")]
    return []


def lint_links(body: str, path: Path, first_line: int, anchors, section_id: str, targets: set[str],
               book: bool) -> list[Problem]:
    """Links to headings, chapters and recommendations that lead nowhere."""
    out: list[Problem] = []
    for i, href in link_hrefs(body):
        loc = SourceLocation.of(path, first_line + i)
        status, target = anchors.resolve(section_id, href)
        if status == "no-anchor":
            if not href.startswith("#"):
                out.append(Problem(loc, f"link to unknown section '{shorten(target)}' in '{shorten(href.split('#')[0])}' "
                                        "(expected a heading id of that chapter)"))
                continue
            kind = "recommendation" if re.match(r"^[A-Z]{2}-\d+$", target) else "section"
            known = targets | anchors.all_ids()
            out.append(Problem(loc, f"link to unknown {kind} '{shorten(target)}'{suggest(target, known)} "
                                    "(expected a recommendation id or a section id)"))
        elif status == "outside":
            out.append(Problem(loc, f"link '{shorten(href)}' points outside the manuscript (expected '#id' or an "
                                    "http(s) address)"))
        elif status == "no-page":
            if book or not (href.startswith("/") or ".." in href.split("/")):
                out.append(Problem(loc, f"link to '{shorten(href)}', which is not a chapter of this publication: "
                                        "shown as plain text", "warning"))
            else:
                out.append(Problem(loc, f"link '{shorten(href)}' points outside the manuscript (expected '#id' or an "
                                        "http(s) address)"))
    return out


def _inside(target: Path, root: Path) -> bool:
    """Whether `target`, symbolic links resolved, lies inside `root`."""
    real, base = target.resolve(), root.resolve()
    return real == base or base in real.parents


SVG_REF_RES = (
    re.compile(r"(?:href|src)\s*=\s*[\"']([^\"']*)[\"']"),
    re.compile(r"url\(\s*[\"']?([^\"')]*)"),
    re.compile(r"@import\s+[\"']([^\"']*)[\"']"),
)


def _undecodable(target: Path) -> str:
    """Why a raster image cannot be read, or '' when it can."""
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow comes with WeasyPrint
        return ""
    try:
        with Image.open(target) as im:
            im.verify()
        with Image.open(target) as im:
            im.load()
    except Exception as exc:  # noqa: BLE001 - any failure to decode is the file's fault
        text = str(exc).replace(f" '{target}'", "").replace(str(target), target.name)
        return text or type(exc).__name__
    return ""


def check_image(target: Path, path: Path, line: int, name: str | None = None) -> list[Problem]:
    """An image must be what its name says, and an SVG must not reach for other files.

    `name` is the image as the Markdown wrote it (`figures/map.svg`), for messages."""
    name = name or target.name
    suffix = target.suffix.lower()
    data = target.read_bytes()[: 16 * 1024 * 1024 if suffix == ".svg" else 65536]
    loc = SourceLocation.of(path, line)
    signatures = {".png": b"\x89PNG", ".jpg": b"\xff\xd8", ".jpeg": b"\xff\xd8", ".gif": b"GIF8", ".webp": b"RIFF"}
    if suffix in signatures and not data.startswith(signatures[suffix]):
        kind = suffix[1:].upper().replace("JPG", "JPEG")
        if not data:
            holds = "the file is empty"
        elif all(32 <= b < 127 or b in (9, 10, 13) for b in data[:512]):
            holds = "the file holds text"
        else:
            holds = "its content does not match its name"
        return [Problem(loc, f"'{name}' is not a {kind} image ({holds}; expected a {kind} file, "
                             f"or a name ending in the image's real type)")]
    if suffix in signatures:
        broken = _undecodable(target)
        if broken:
            kind = suffix[1:].upper().replace("JPG", "JPEG")
            return [Problem(loc, f"'{name}' is a damaged {kind} image (it cannot be decoded; expected a file "
                                 "that image programs open)")]
    if suffix == ".svg":
        text = data.decode("utf-8", "replace")
        if "<svg" not in text:
            return [Problem(loc, f"'{name}' is not an SVG image (expected an <svg> document)")]
        try:
            etree.fromstring(data)
        except etree.ParseError as exc:
            return [Problem(loc, f"'{name}' is not a well-formed SVG image ({shorten(exc, 120)}; expected "
                                 "an SVG file that opens in a browser)")]
        for rx in SVG_REF_RES:
            for ref in rx.findall(text):
                ref = ref.strip()
                if ref and not ref.startswith(("#", "data:")):
                    return [Problem(loc, f"SVG '{name}' loads '{ref}' (expected a self-contained SVG: SVG images "
                                         "may not load other files; embed pictures as data: URIs)")]
    return []
