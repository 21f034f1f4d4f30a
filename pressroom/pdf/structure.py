"""The structure post-pass: what WeasyPrint's tagging leaves short of PDF/UA-1, repaired on the pypdf
writer that joins the report (pressroom.pdf.join) or labels a brief's pages (pressroom.pdf.postpass),
just before it is written, so no PDF is parsed or written again for it.

WeasyPrint (70) tags every box it paints; what it leaves, and what is done here:

* running heads and the briefs' page numbers (margin boxes) are painted as marked content whose
  structure elements hang from no tree: `patches.notes_and_margins` has WeasyPrint paint them as
  `/Artifact /Pagination` instead, and any such sequence left is made one here (its entry in the
  parent tree dropped, its elements freed);
* header cells carry no `/Scope`: a TH in a THead or in a table's first row heads its column, any
  other heads its row (the templates give every table a header row);
* a link box with boxes inside (an inline inside a link, a flex item) is an annotation each, and the
  element that holds an annotation may be a /Span or /NonStruct inside the /Link, or a /Link with
  no text of its own: every annotation of a link is moved to its outermost /Link element (a link is
  one element, however many annotations it has), the /Link elements inside it become /Span, an
  element holding a link annotation outside any /Link becomes one, and a /Link with no text at all
  gets `/Alt`;
* annotations lack the Print flag (`/F 4`), and an annotation without `/Contents` gets its target;
* footnotes: `patches.notes_and_margins` has WeasyPrint tag the footnote element as /Note (its marker /Lbl, its
  call /Reference), and each /Note here gets a unique `/ID`;
* every page with annotations orders them by structure (`/Tabs /S`);
* a list item whose marker is inside its first line (styles/print.css, so that it is painted in
  reading order) is tagged /Lbl and the item's elements, without /LBody: they are put in one.
"""

from __future__ import annotations

import re

from pypdf.generic import (ArrayObject, DictionaryObject, IndirectObject, NameObject, NullObject, NumberObject,
                           TextStringObject)

from . import patches


PRINT_FLAG = 4
PAGINATION = b"/Artifact\n<</Type /Pagination>>\nBDC"
_MARKED = re.compile(rb"/[^\s/<>\[\]()]+\s*<<\s*/MCID\s+(\d+)\s*>>\s*BDC")


def _obj(x):
    return x.get_object() if isinstance(x, IndirectObject) else x


def _kids(node) -> list:
    k = node.get("/K")
    if k is None:
        return []
    k = _obj(k)
    return list(k) if isinstance(k, list) else [k]


class _Tree:
    """The structure tree as the writer holds it: elements in document order, with their parents."""

    def __init__(self, root):
        self.elements: list[DictionaryObject] = []
        self.parent: dict[int, DictionaryObject | None] = {}
        self.ref: dict[int, IndirectObject] = {}
        self.objrs: list[tuple[DictionaryObject, DictionaryObject, object]] = []  # (element, OBJR, as in /K)
        self.reachable: set[int] = set()
        stack = [(k, None) for k in reversed(_kids(root))]
        while stack:
            kid, parent = stack.pop()
            node = _obj(kid)
            if not isinstance(node, DictionaryObject):
                continue
            kind = node.get("/Type")
            if kind == "/OBJR":
                if parent is not None:
                    self.objrs.append((parent, node, kid))
                continue
            if kind == "/MCR" or "/S" not in node:
                continue
            if id(node) in self.parent:
                continue
            self.elements.append(node)
            self.parent[id(node)] = parent
            if isinstance(kid, IndirectObject):
                self.ref[id(node)] = kid
                self.reachable.add(kid.idnum)
            stack += [(k, node) for k in reversed(_kids(node))]

    def role(self, node) -> str:
        return str(node.get("/S", ""))

    def ancestors(self, node):
        p = self.parent.get(id(node))
        while p is not None:
            yield p
            p = self.parent.get(id(p))

    def has_content(self, node) -> bool:
        """Whether the element or one below it marks page content, or is a described figure."""
        stack = [node]
        while stack:
            n = stack.pop()
            if self.role(n) == "/Figure" and str(n.get("/Alt", "")).strip():
                return True
            for k in _kids(n):
                k = _obj(k)
                if isinstance(k, int) or (isinstance(k, DictionaryObject) and k.get("/Type") == "/MCR"):
                    return True
                if isinstance(k, DictionaryObject) and "/S" in k:
                    stack.append(k)
        return False


def _set_kids(node, kids: list) -> None:
    node[NameObject("/K")] = ArrayObject(kids)


def _parent_tree(tree_root) -> dict[int, tuple[ArrayObject, int]]:
    """Each key of the parent tree, with the /Nums array and index of its value."""
    out: dict[int, tuple[ArrayObject, int]] = {}
    pt = tree_root.get("/ParentTree")
    stack = [_obj(pt)] if pt is not None else []
    while stack:
        node = stack.pop()
        nums = node.get("/Nums")
        if nums is not None:
            nums = _obj(nums)
            for i in range(0, len(nums) - 1, 2):
                out[int(nums[i])] = (nums, i + 1)
        for kid in _obj(node.get("/Kids", ArrayObject())):
            stack.append(_obj(kid))
    return out


def repair(writer) -> dict[str, int]:
    """Repair the document held by a pypdf writer in place (see the module's docstring). Returns what
    was done, by kind, for tests and the bench."""
    root = patches.root_object(writer)
    done = {"artifacts": 0, "scopes": 0, "links": 0, "alts": 0, "print_flags": 0, "notes": 0, "list_bodies": 0}
    if "/StructTreeRoot" not in root:
        return done
    tree_root = _obj(root["/StructTreeRoot"])
    tree = _Tree(tree_root)
    parents = _parent_tree(tree_root)
    done["artifacts"] = _pagination_artifacts(writer, tree, parents)
    done["scopes"] = _scopes(tree)
    done["links"], done["alts"] = _links(tree, parents)
    done["print_flags"] = _annotations(writer)
    done["notes"] = _notes(tree)
    done["list_bodies"] = _list_bodies(writer, tree)
    return done


def _pagination_artifacts(writer, tree: _Tree, parents) -> int:
    """Marked content whose element is not in the tree (margin boxes) becomes a pagination artifact."""
    count = 0
    for page in writer.pages:
        key = page.get("/StructParents")
        if key is None or int(key) not in parents:
            continue
        nums, i = parents[int(key)]
        entries = _obj(nums[i])
        if not isinstance(entries, list):
            continue
        orphans = set()
        for mcid, entry in enumerate(entries):
            if isinstance(entry, IndirectObject) and entry.idnum not in tree.reachable:
                orphans.add(mcid)
                entries[mcid] = NullObject()
                _drop(writer, entry, tree)
        if not orphans:
            continue
        contents = page.get("/Contents")
        streams = _obj(contents)
        streams = list(streams) if isinstance(streams, list) else [contents]
        for ref in streams:
            stream = _obj(ref)
            data = stream.get_data()
            if b"MCID" not in data:
                continue

            def swap(m):
                return PAGINATION if int(m.group(1)) in orphans else m.group(0)

            new, n = _MARKED.subn(swap, data)
            if new != data:
                stream.set_data(new)
                count += sum(1 for m in _MARKED.finditer(data) if int(m.group(1)) in orphans)
    return count


def _drop(writer, ref: IndirectObject, tree: _Tree) -> None:
    """Free an element that hangs from no tree, and its parents that do not either."""
    while isinstance(ref, IndirectObject) and ref.idnum not in tree.reachable and ref.pdf is writer:
        node = patches.writer_object(writer, ref.idnum)
        if not isinstance(node, DictionaryObject) or node.get("/Type") != "/StructElem":
            return
        patches.free_object(writer, ref.idnum)
        ref = node.raw_get("/P") if "/P" in node else None


def _scopes(tree: _Tree) -> int:
    """/Scope on every header cell: /Column in a THead or the table's first row, /Row elsewhere."""
    count = 0
    first_rows: set[int] = set()
    tables: set[int] = set()
    for node in tree.elements:
        if tree.role(node) == "/TR":
            table = next((a for a in tree.ancestors(node) if tree.role(a) == "/Table"), None)
            if table is not None and id(table) not in tables:
                tables.add(id(table))
                first_rows.add(id(node))
    for node in tree.elements:
        if tree.role(node) != "/TH":
            continue
        row = tree.parent.get(id(node))
        group = tree.parent.get(id(row)) if row is not None else None
        head = (group is not None and tree.role(group) == "/THead") or id(row) in first_rows
        scope = NameObject("/Column" if head else "/Row")
        attrs = _obj(node.get("/A")) if "/A" in node else None
        owner = None
        for a in (attrs if isinstance(attrs, list) else [attrs] if attrs is not None else []):
            a = _obj(a)
            if isinstance(a, DictionaryObject) and a.get("/O") == "/Table":
                owner = a
        if owner is None:
            owner = DictionaryObject({NameObject("/O"): NameObject("/Table")})
            if attrs is None:
                node[NameObject("/A")] = owner
            elif isinstance(attrs, list):
                attrs.append(owner)
            else:
                node[NameObject("/A")] = ArrayObject([node["/A"], owner])
        if owner.get("/Scope") is None:
            owner[NameObject("/Scope")] = scope
            count += 1
    return count


def _links(tree: _Tree, parents) -> tuple[int, int]:
    """Every link annotation under its outermost /Link element; /Alt on a /Link with no text."""
    moved = 0
    outermost: dict[int, DictionaryObject] = {}
    for element, objr, kid in tree.objrs:
        annot = _obj(objr.get("/Obj"))
        if not isinstance(annot, DictionaryObject) or annot.get("/Subtype") != "/Link":
            continue
        links = [element] if tree.role(element) == "/Link" else []
        links += [a for a in tree.ancestors(element) if tree.role(a) == "/Link"]
        if not links:
            element[NameObject("/S")] = NameObject("/Link")  # a link annotation outside any link
            links = [element]
        top = links[-1]
        outermost[id(top)] = top
        if top is not element:
            _set_kids(element, [k for k in _kids(element) if _obj(k) is not objr])
            _set_kids(top, _kids(top) + [kid])
            key = annot.get("/StructParent")
            ref = tree.ref.get(id(top))
            if key is not None and int(key) in parents and ref is not None:
                nums, i = parents[int(key)]
                nums[i] = ref
            moved += 1
    for node in tree.elements:
        if tree.role(node) == "/Link" and id(node) not in outermost and \
                any(id(a) in outermost for a in tree.ancestors(node)):
            node[NameObject("/S")] = NameObject("/Span")
    alts = 0
    for top in outermost.values():
        if tree.has_content(top) or str(top.get("/Alt", "")).strip():
            continue
        for k in _kids(top):
            k = _obj(k)
            if isinstance(k, DictionaryObject) and k.get("/Type") == "/OBJR":
                text = _description(_obj(k.get("/Obj")))
                if text:
                    top[NameObject("/Alt")] = TextStringObject(text)
                    alts += 1
                    break
    return moved, alts


def _description(annot) -> str:
    if not isinstance(annot, DictionaryObject):
        return ""
    text = str(annot.get("/Contents", "")).strip()
    if text:
        return text
    if "/Dest" in annot and not isinstance(_obj(annot["/Dest"]), list):
        return str(annot["/Dest"])
    action = _obj(annot.get("/A")) if "/A" in annot else None
    return str(action.get("/URI", "")) if isinstance(action, DictionaryObject) else ""


def _annotations(writer) -> int:
    """The Print flag on every annotation, a description on every link, pages ordered by structure."""
    count = 0
    for page in writer.pages:
        annots = page.get("/Annots")
        if not annots:
            continue
        page[NameObject("/Tabs")] = NameObject("/S")
        for ref in _obj(annots):
            annot = _obj(ref)
            flags = int(annot.get("/F", 0))
            if not flags & PRINT_FLAG:
                annot[NameObject("/F")] = NumberObject(flags | PRINT_FLAG)
                count += 1
            if annot.get("/Subtype") == "/Link" and not str(annot.get("/Contents", "")).strip():
                text = _description(annot)
                if text:
                    annot[NameObject("/Contents")] = TextStringObject(text)
    return count


def _notes(tree: _Tree) -> int:
    """A unique /ID on every /Note (the IDs of a joined report's parts would clash)."""
    count = 0
    taken = {str(n["/ID"]) for n in tree.elements if "/ID" in n and tree.role(n) != "/Note"}
    for node in tree.elements:
        if tree.role(node) != "/Note":
            continue
        count += 1
        ident = f"note-{count}"
        while ident in taken:
            ident += "-"
        node[NameObject("/ID")] = TextStringObject(ident)
    return count


def _list_bodies(writer, tree: _Tree) -> int:
    """The elements of a list item other than its label, in an /LBody (ISO 32000-1, 14.8.4.3.3)."""
    count = 0
    for node in tree.elements:
        if tree.role(node) != "/LI":
            continue
        kids = _kids(node)
        elements = [_obj(k) for k in kids]
        if any(isinstance(k, DictionaryObject) and tree.role(k) == "/LBody" for k in elements):
            continue
        if not all(isinstance(k, DictionaryObject) and "/S" in k and isinstance(r, IndirectObject)
                   for k, r in zip(elements, kids)):
            continue  # marked content or annotations right in the item: left as they are
        body_kids = [r for k, r in zip(elements, kids) if tree.role(k) != "/Lbl"]
        if not body_kids:
            continue
        ref = tree.ref.get(id(node))
        if ref is None:
            continue
        body = DictionaryObject({NameObject("/Type"): NameObject("/StructElem"), NameObject("/S"): NameObject("/LBody"),
                                 NameObject("/P"): ref, NameObject("/K"): ArrayObject(body_kids)})
        if "/Pg" in node:
            body[NameObject("/Pg")] = node.raw_get("/Pg")
        body_ref = patches.add_object(writer, body)
        for r in body_kids:
            _obj(r)[NameObject("/P")] = body_ref
        _set_kids(node, [r for k, r in zip(elements, kids) if tree.role(k) == "/Lbl"] + [body_ref])
        count += 1
    return count
