"""The accessibility check's structural half (pressroom.pdf.accessibility): what the independent
checkers (outloud 0.2, pdfua 0.1) test of a tagged PDF's structure tree, annotations and page
content, read with pypdf so the build fails where they would.

Each problem names the checkpoint it stands for (Matterhorn failure condition, or the checkers' rule)."""

from __future__ import annotations

import re

from pypdf.generic import DictionaryObject, IndirectObject

from .structure import (  # one reading of the structure tree for the post-pass and the check
    _kids,
    _obj,
)

HEADING = re.compile(r"^/H([1-6]?)$")
LANG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
# The operators the content check follows in a page's content: of marked content, and of painting
# text and objects. They are found with bytes.find (a regular expression over a report's 5 MB of
# content took half a second) and kept where they stand as words: in a hex string glyph codes are
# pairs of digits, so "BDC" there has a digit on one side; literal strings are blanked out first,
# where a stream has any, so no text in them is read as an operator.
OPERATORS = (b"BDC", b"BMC", b"EMC", b"TJ", b"Tj", b"Do")
BEFORE = frozenset(b" \t\r\n>])")
AFTER = frozenset(b" \t\r\n[/(<%")
MCID = re.compile(rb"/MCID\s+(\d+)")
LITERAL = re.compile(rb"\((?:\\.|\((?:\\.|[^\\()])*\)|[^\\()])*\)", re.S)
PRINT_FLAG = 4


def check_tags(root, pages) -> list[str]:
    """Problems of the structure tree, the annotations and the marked content of `pages`."""
    problems: list[str] = []
    metadata = root.get("/Metadata")
    if metadata is not None and b"pdfuaid" not in _obj(metadata).get_data():
        problems.append("the XMP metadata does not declare PDF/UA (pdfuaid:part) [Matterhorn 06-002]")
    if "/StructTreeRoot" not in root:
        return problems
    tree_root = _obj(root["/StructTreeRoot"])
    elements, parent, objr_owner, reachable = _walk(tree_root)
    problems += _elements(elements, parent)
    problems += _annotations(pages, objr_owner)
    problems += _content(tree_root, pages, reachable)
    return problems


def _walk(tree_root):
    elements, parent, objr_owner, reachable = [], {}, {}, set()
    stack = [(k, None) for k in reversed(_kids(tree_root))]
    while stack:
        kid, up = stack.pop()
        node = _obj(kid)
        if not isinstance(node, DictionaryObject):
            continue
        if node.get("/Type") == "/OBJR":
            annot = node.raw_get("/Obj") if "/Obj" in node else None
            if isinstance(annot, IndirectObject) and up is not None:
                objr_owner[annot.idnum] = up
            continue
        if "/S" not in node or id(node) in parent:
            continue
        elements.append(node)
        parent[id(node)] = up
        if isinstance(kid, IndirectObject):
            reachable.add(kid.idnum)
        stack += [(k, node) for k in reversed(_kids(node))]
    return elements, parent, objr_owner, reachable


def _has_content(node) -> bool:
    stack = [node]
    while stack:
        n = stack.pop()
        if n.get("/S") == "/Figure" and str(n.get("/Alt", "")).strip():
            return True
        for k in _kids(n):
            k = _obj(k)
            if isinstance(k, int) or (isinstance(k, DictionaryObject) and k.get("/Type") == "/MCR"):
                return True
            if isinstance(k, DictionaryObject) and "/S" in k:
                stack.append(k)
    return False


def _scope(node):
    attrs = _obj(node.get("/A")) if "/A" in node else None
    for a in attrs if isinstance(attrs, list) else [attrs] if attrs is not None else []:
        a = _obj(a)
        if isinstance(a, DictionaryObject) and a.get("/Scope") is not None:
            return a["/Scope"]
    return None


def _elements(elements, parent) -> list[str]:
    problems: list[str] = []
    counts: dict[str, int] = {}

    def count(what: str) -> None:
        counts[what] = counts.get(what, 0) + 1

    tables: dict[int, list] = {}
    note_ids: dict[str, int] = {}
    last_level = 0
    for number, node in enumerate(elements, 1):
        role = str(node.get("/S"))
        if "/Lang" in node and not LANG.match(str(node["/Lang"])):
            problems.append(f"invalid language tag {node['/Lang']!r} on a {role} element")
        heading = HEADING.match(role)
        if heading and heading.group(1):
            level = int(heading.group(1))
            if level > last_level + 1:
                problems.append(f"heading level skips from H{last_level} to H{level}")
            last_level = level
        if role in ("/TH", "/TD"):
            up = parent.get(id(node))
            while up is not None and up.get("/S") != "/Table":
                up = parent.get(id(up))
            if up is not None:
                tables.setdefault(id(up), []).append(node)
            if role == "/TH":
                if _scope(node) is None and "/Headers" not in node:
                    count("a header cell (TH) has no /Scope [Matterhorn 15-003]")
                if not _has_content(node):
                    count("a header cell (TH) is empty, so the cells it heads are headed by nothing [outloud TBL-011]")
        elif role == "/Figure":
            if not str(node.get("/Alt", "")).strip():
                problems.append(f"a figure has no alternative text (/Alt), element {number}")
        elif role == "/Link":
            if not _has_content(node) and not str(node.get("/Alt", "")).strip():
                count("a /Link element has no text and no /Alt [Matterhorn 28-008]")
        elif role == "/Note":
            ident = str(node.get("/ID", "")).strip()
            if not ident:
                count("a /Note has no /ID [Matterhorn 19-003]")
            note_ids[ident] = note_ids.get(ident, 0) + 1
        elif role == "/LI":
            if not any(isinstance(_obj(k), DictionaryObject) and _obj(k).get("/S") == "/LBody" for k in _kids(node)):
                count("a list item (LI) has no /LBody [outloud LST-002]")
        elif HEADING.match(role) and not _has_content(node):
            count(f"a heading ({role[1:]}) is empty [Matterhorn 14-002]")
        elif role in ("/Table", "/TR") and not _kids(node):
            count(f"an empty {role[1:]} element [outloud TAG-020]")
    for cells in tables.values():
        if len(cells) >= 2 and not any(c.get("/S") == "/TH" for c in cells):
            count("a table has no header cell (TH) [Matterhorn 15-003, pdfua UA-15-003]")
    dup = sorted(i for i, n in note_ids.items() if i and n > 1)
    if dup:
        problems.append(f"/Note ids used more than once: {', '.join(dup[:5])} [Matterhorn 19-004]")
    problems += [f"{what} ({n}×)" if n > 1 else what for what, n in counts.items()]
    return problems


def _annotations(pages, objr_owner) -> list[str]:
    counts: dict[str, int] = {}
    for page in pages:
        annots = page.get("/Annots")
        if not annots:
            continue
        if page.get("/Tabs") != "/S":
            tabs = "a page with annotations does not order them by structure (/Tabs /S) [Matterhorn 28-010]"
            counts[tabs] = counts.get(tabs, 0) + 1
        for ref in _obj(annots):
            annot = _obj(ref)
            flags = int(annot.get("/F", 0))
            if flags & 2:  # hidden: neither shown nor read
                continue
            found = []
            if not flags & PRINT_FLAG:
                found.append("an annotation lacks the Print flag (/F 4) [outloud LNK-004]")
            if annot.get("/Subtype") == "/Link":
                owner = objr_owner.get(ref.idnum) if isinstance(ref, IndirectObject) else None
                if owner is None or owner.get("/S") != "/Link":
                    found.append("a link annotation is not in a /Link structure element [Matterhorn 28-011]")
                if not str(annot.get("/Contents", "")).strip():
                    found.append("a link annotation has no /Contents [Matterhorn 28-004]")
            for problem in found:
                counts[problem] = counts.get(problem, 0) + 1
    return [f"{what} ({n}×)" if n > 1 else what for what, n in counts.items()]


def _parent_entries(tree_root) -> dict[int, object]:
    out: dict[int, object] = {}
    pt = tree_root.get("/ParentTree")
    stack = [_obj(pt)] if pt is not None else []
    while stack:
        node = stack.pop()
        nums = _obj(node.get("/Nums", []))
        for i in range(0, len(nums) - 1, 2):
            out[int(nums[i])] = _obj(nums[i + 1])
        stack += [_obj(k) for k in _obj(node.get("/Kids", []))]
    return out


def _content(tree_root, pages, reachable) -> list[str]:
    """Marked content of each page: nothing painted outside it, no MCID whose element is not in the
    tree, no tagged content inside an artifact or the reverse."""
    entries = _parent_entries(tree_root)
    untagged, orphaned, nested = [], [], []
    for number, page in enumerate(pages, 1):
        key = page.get("/StructParents")
        mapping = entries.get(int(key)) if key is not None else None
        mapping = mapping if isinstance(mapping, list) else []
        contents = _obj(page.get("/Contents"))
        streams = contents if isinstance(contents, list) else [contents] if contents is not None else []
        stack: list[tuple[bool, bool]] = []  # (artifact, has an MCID)
        bad_text = bad_mcid = bad_nest = 0
        for s in streams:
            data = _obj(s).get_data()
            if b"(" in data:
                data = LITERAL.sub(b"()", data)
            last = 0
            for pos, op in _operators(data):
                if op in (b"BDC", b"BMC"):
                    operands = data[max(last, pos - 160):pos]
                    artifact = b"/Artifact" in operands
                    m = MCID.search(operands) if op == b"BDC" else None
                    mcid = int(m.group(1)) if m else None
                    if mcid is not None:
                        ref = mapping[mcid] if mcid < len(mapping) else None
                        if not isinstance(ref, IndirectObject) or ref.idnum not in reachable:
                            bad_mcid += 1
                    if (mcid is not None and any(a for a, _ in stack)) or (artifact and any(m for _, m in stack)):
                        bad_nest += 1
                    stack.append((artifact, mcid is not None))
                elif op == b"EMC":
                    if stack:
                        stack.pop()
                elif not stack:
                    bad_text += 1
                last = pos + len(op)
        if bad_text:
            untagged.append(number)
        if bad_mcid:
            orphaned.append(number)
        if bad_nest:
            nested.append(number)
    problems = []
    if untagged:
        problems.append(f"content painted outside marked content on page(s) {_pages(untagged)} [Matterhorn 01-001]")
    if orphaned:
        problems.append(f"marked content whose element is not in the structure tree on page(s) {_pages(orphaned)} "
                        "(running heads and folios must be artifacts) [Matterhorn 01-001, 18-002]")
    if nested:
        problems.append(f"tagged content and artifacts nested in each other on page(s) {_pages(nested)} "
                        "[Matterhorn 01-004]")
    return problems


def _operators(data: bytes) -> list[tuple[int, bytes]]:
    """The operators of OPERATORS in a content stream, by position."""
    found = []
    size = len(data)
    for op in OPERATORS:
        i = data.find(op)
        while i >= 0:
            end = i + len(op)
            if (i == 0 or data[i - 1] in BEFORE) and (end == size or data[end] in AFTER):
                found.append((i, op))
            i = data.find(op, end)
    found.sort()
    return found


def _pages(numbers: list[int]) -> str:
    return ", ".join(map(str, numbers[:8])) + (f" and {len(numbers) - 8} more" if len(numbers) > 8 else "")
