"""The Markdown linter: what a source's Markdown can get wrong (links, images, headings, footnotes,
directives), found while loading, before anything is rendered; and the syntax it shares with the renderer."""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import Problem, SourceLocation, expected, suggest

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
                  audiences: list[str], root: Path) -> list[Problem]:
    """Problems in one Markdown body: directives, audiences, links, images, headings, footnotes."""
    out: list[Problem] = []

    def err(offset: int, message: str) -> None:
        out.append(Problem(SourceLocation.of(path, first_line + offset), message))

    lines = body.split("\n")
    code = code_mask(lines)
    stack: list[tuple[int, str]] = []
    last_level = 1
    refs: dict[str, int] = {}
    defs: dict[str, int] = {}
    for i, line in enumerate(lines):
        if code[i]:
            continue
        stripped = line.strip()
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
            if level == 1:
                err(i, "level-1 heading in the body (the title comes from front matter; expected '##' for sections)")
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
        for lm in LINK_RE.finditer(line):
            href = lm["href"]
            if href.startswith("#"):
                if href[1:] not in targets:
                    kind = "recommendation" if re.match(r"^#[A-Z]{2}-\d+$", href) else "section"
                    err(i, f"link to unknown {kind} '{href[1:]}'{suggest(href[1:], targets)} "
                           "(expected a recommendation id or a section id)")
            elif href.startswith(("file:", "/")) or ".." in href.split("/"):
                err(i, f"link '{href}' points outside the manuscript (expected '#id' or an http(s) address)")
        for im in IMAGE_RE.finditer(line):
            src, alt = im["src"], im["alt"].strip()
            if not alt:
                err(i, f"image '{src}' has no alternative text (expected ![description]({src}))")
            if src.startswith("generated:"):
                name = src.split(":", 1)[1]
                if name not in GENERATED:
                    err(i, f"unknown generated figure '{name}'{suggest(name, GENERATED)} (expected {expected(GENERATED)})")
                continue
            if re.match(r"^[a-z]+:", src) or src.startswith("/") or ".." in src.split("/"):
                err(i, f"image '{src}' is not a file inside the manuscript (expected a path such as figures/map.svg)")
                continue
            target = root / src
            try:
                found = target.is_file()
                inside = _inside(target, root)
            except (OSError, ValueError):
                found, inside = False, True
            if not found:
                err(i, f"image not found: '{src}' (expected a file at {target.as_posix()})")
            elif not inside:
                err(i, f"image '{src}' is a link to a file outside the manuscript (expected the image file "
                       f"itself inside {root.as_posix()}/, not a symbolic link leading out of it)")
            elif target.suffix.lower() not in IMAGE_TYPES:
                err(i, f"'{src}' is not an image (expected one of: {', '.join(IMAGE_TYPES)})")
            else:
                out.extend(check_image(target, path, first_line + i, src))
    for start, name in stack:
        err(start, f"'{name}' is not closed (expected a ':::' line after its text)")
    for label, i in refs.items():
        if label not in defs:
            err(i, f"footnote '[^{label}]' has no definition (expected a line '[^{label}]: ...')")
    for label, i in defs.items():
        if label not in refs:
            err(i, f"footnote '[^{label}]' is defined but never called")
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
    if suffix == ".svg":
        text = data.decode("utf-8", "replace")
        if "<svg" not in text:
            return [Problem(loc, f"'{name}' is not an SVG image (expected an <svg> document)")]
        for rx in SVG_REF_RES:
            for ref in rx.findall(text):
                ref = ref.strip()
                if ref and not ref.startswith(("#", "data:")):
                    return [Problem(loc, f"SVG '{name}' loads '{ref}' (expected a self-contained SVG: SVG images "
                                         "may not load other files; embed pictures as data: URIs)")]
    return []
