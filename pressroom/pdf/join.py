"""Join the report's parts, laid out apart, into one PDF with pypdf: pages, tags, links, bookmarks,
folios, page labels and metadata.

WeasyPrint tags each page on its own: every child of the /Document structure element belongs to one
page, the parent tree has one entry per page and one per link. So a part's pages can be taken from
the PDF it was laid out in, with the structure elements of those pages, and set after another's.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from io import BytesIO

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    Fit,
    NameObject,
    NumberObject,
    TextStringObject,
)

from . import patches
from .postpass import label_pages, page_label

EXTERNAL_ANCHOR = "pressroom-anchor:"
"""Scheme of a link from one part to an anchor in another (see pressroom.pdf.parts.link_outside)."""

MM = 72 / 25.4
FOLIO_SIZE = 8.5
"""Folio size in points (styles/print.css sets the running heads at the same size)."""
FOLIO_OUTER = 22 * MM
"""Outer margin of the report's pages: the folio is aligned on it."""
FOLIO_FOOT = 24 * MM
"""Foot margin: the folio is centred in it, as a margin box's text would be."""
FOLIO_COLOUR = (0.121569, 0.164706, 0.266667)
"""#1f2a44, the styles' navy."""
FOLIO_CHARS = "0123456789cdilmvx"
FOLIO_RESOURCE = "/PRFolio"


@dataclass(frozen=True)
class Piece:
    """Pages of one part, as laid out in some PDF."""

    pdf: bytes
    """The PDF the part was laid out in (alone, or with its neighbours)."""
    first: int
    """Index of the part's first page in it."""
    count: int
    """Number of pages of the part (without the blank page WeasyPrint may have put after it)."""
    numbered: tuple[bool, ...]
    """For each page, whether it shows a folio (not on the cover, quiet or blank pages)."""


@dataclass(frozen=True)
class Joined:
    """The assembled report."""

    pdf: bytes
    """The PDF."""
    starts: tuple[int, ...]
    """Index of each piece's first page in it."""
    pages: int
    """Page count."""
    problems: tuple[str, ...] = ()
    """What the accessibility check found (pressroom.pdf.accessibility), checked on the objects written."""


def warm_up() -> None:
    """Load what a join needs the first time (the folio font, the accessibility check), so that the
    workers forked afterwards share it."""
    from . import accessibility  # noqa: F401
    _folio_font()


def _folio_font():
    from .content import folio_font
    return folio_font(600, FOLIO_CHARS, "SourceSans3-Semibold")


def recto_starts(counts: list[int]) -> list[int]:
    """Index of the first page of each of consecutive parts of `counts` pages, each part opening on
    a right-hand page (an even index: the first page of a document is a right-hand one)."""
    starts, position = [], 0
    for count in counts:
        position += position % 2
        starts.append(position)
        position += count
    return starts


def read_part(pdf: bytes) -> PdfReader:
    """A laid-out part's PDF, parsed to its last object: what the join would parse when it runs,
    parsed ahead while other parts are still being laid out (see join's `readers`)."""
    reader = PdfReader(BytesIO(pdf))
    numbers = set(reader.xref_objStm)
    for table in reader.xref.values():
        numbers.update(table)
    for number in sorted(numbers):
        if number:
            reader.get_object(number)
    return reader


def join(pieces: list[Piece], first_body: int | None, info: dict[str, str],
         readers: dict[str, PdfReader] | None = None) -> Joined:
    """One PDF from `pieces`, each starting on a right-hand page (a blank page is put before one
    that would fall on a left-hand page, as `break-before: right` would). Pages are labelled
    i, ii, ... up to piece `first_body`, then 1, 2, ...; folios are stamped to match, as artifacts.
    The catalogue (/Lang, /MarkInfo, /ViewerPreferences, XMP) and the document information come
    from the first piece; `info` adds to the latter. `readers`: the pieces' PDFs already parsed
    (read_part), by SHA-256; the others are parsed here. The result is the same either way."""
    patches.names_written_once()  # no-op when the build has installed it already
    writer = PdfWriter()
    readers = dict(readers or {})
    plan: list[tuple[PdfReader, int, bool] | None] = []
    starts = recto_starts([p.count for p in pieces])
    for piece, start in zip(pieces, starts):
        plan += [None] * (start - len(plan))  # a blank left-hand page, so that the part opens on the right
        digest = hashlib.sha256(piece.pdf).hexdigest()
        reader = readers.get(digest)
        if reader is None:
            reader = readers[digest] = PdfReader(BytesIO(piece.pdf))
        plan += [(reader, piece.first + i, piece.numbered[i]) for i in range(piece.count)]
    first_reader = readers[hashlib.sha256(pieces[0].pdf).hexdigest()]
    body_start = starts[first_body] if first_body is not None and first_body < len(starts) else None

    # Structure root and /Document element, which every page's elements will hang from.
    tree = DictionaryObject({NameObject("/Type"): NameObject("/StructTreeRoot")})
    tree_ref = patches.add_object(writer, tree)
    document = DictionaryObject({NameObject("/Type"): NameObject("/StructElem"), NameObject("/S"): NameObject("/Document"),
                                 NameObject("/P"): tree_ref, NameObject("/K"): ArrayObject()})
    document_ref = patches.add_object(writer, document)
    tree[NameObject("/K")] = ArrayObject([document_ref])
    sources = {id(r): _Source(r, writer, document_ref) for r in readers.values()}

    # Pages, then their links, then their structure elements (which point at both).
    size = None
    new_pages = []
    for entry in plan:
        if entry is None:
            new_pages.append(writer.add_blank_page(*size))
            continue
        reader, index, _ = entry
        src = reader.pages[index]
        page = writer.add_page(src, excluded_keys=("/Annots", "/StructParents"))
        size = (float(page.mediabox.width), float(page.mediabox.height))
        new_pages.append(page)

    nums = ArrayObject()
    link_entries = []
    for number, (entry, page) in enumerate(zip(plan, new_pages)):
        if entry is None:
            continue
        reader, index, _ = entry
        source = sources[id(reader)]
        src = reader.pages[index]
        annots = ArrayObject()
        for ref in src.get("/Annots") or []:
            clone = ref.clone(writer)
            annot = clone.get_object()
            _retarget(annot)
            annots.append(clone)
            key = ref.get_object().get("/StructParent")
            if key is not None:
                link_entries.append((annot, source.parent_entry(int(key))))
        if annots:
            page[NameObject("/Annots")] = annots
        key = src.get("/StructParents")
        if key is not None:
            page[NameObject("/StructParents")] = NumberObject(number)
            nums += [NumberObject(number), source.parent_entry(int(key)).clone(writer)]
        for kid in source.kids_of(src.indirect_reference.idnum):
            document["/K"].append(kid.clone(writer))
    next_key = len(new_pages)
    for annot, element in link_entries:
        annot[NameObject("/StructParent")] = NumberObject(next_key)
        nums += [NumberObject(next_key), element.clone(writer)]
        next_key += 1
    parent_tree = DictionaryObject({NameObject("/Nums"): nums})
    tree[NameObject("/ParentTree")] = patches.add_object(writer, parent_tree)
    tree[NameObject("/ParentTreeNextKey")] = NumberObject(next_key)

    root = patches.root_object(writer)
    root[NameObject("/StructTreeRoot")] = tree_ref
    first_root = first_reader.trailer["/Root"]
    for key in ("/Lang", "/MarkInfo", "/ViewerPreferences", "/Metadata"):
        if key in first_root:
            root[NameObject(key)] = first_root.raw_get(key).clone(writer)
    pages = _page_map(plan, new_pages)
    _named_destinations(writer, pages, sources)
    _outlines(writer, pages, new_pages, sources)
    _folios(writer, plan, new_pages, body_start)
    label_pages(writer, body_start)
    metadata = {k: str(v) for k, v in (first_reader.metadata or {}).items()}
    metadata.update(info)
    writer.add_metadata(metadata)
    # Both file identifiers derived from the parts (PDF 14.4: a file first written has two equal ones).
    identifier = hashlib.md5(b"".join(hashlib.sha256(p.pdf).digest() for p in pieces)).digest()  # noqa: S324
    patches.set_file_identifier(writer, identifier)
    from .structure import repair
    repair(writer)
    from .accessibility import check_writer
    problems = tuple(check_writer(writer))
    out = BytesIO()
    writer.write(out)
    return Joined(out.getvalue(), tuple(starts), len(new_pages), problems)


class _Source:
    """What the join needs to know of one laid-out PDF: its /Document element's children by page,
    and its parent tree."""

    def __init__(self, reader: PdfReader, writer: PdfWriter, document_ref):
        self.reader = reader
        root = reader.trailer["/Root"]
        tree = root["/StructTreeRoot"].get_object()
        kids = tree["/K"]
        kids = kids if isinstance(kids, list) else [kids]
        doc_ref = kids[0]
        doc = doc_ref.get_object()
        # Children of the part's /Document now belong to the joined one.
        translated = patches.translated_objects(writer, reader)
        translated[doc_ref.idnum] = document_ref.idnum
        self.by_page: dict[int, list] = {}
        for kid in doc["/K"]:
            element = kid.get_object()
            page = element.raw_get("/Pg") if "/Pg" in element else None
            self.by_page.setdefault(page.idnum if page is not None else -1, []).append(kid)
        self.parents: dict[int, object] = {}
        nums = tree["/ParentTree"].get_object().get("/Nums", [])
        for i in range(0, len(nums), 2):
            self.parents[int(nums[i])] = nums[i + 1]

    def kids_of(self, page_idnum: int) -> list:
        return self.by_page.get(page_idnum, [])

    def parent_entry(self, key: int):
        return self.parents[key]


def _retarget(annot: DictionaryObject) -> None:
    """A link to an anchor in another part becomes a link to the named destination."""
    action = annot.get("/A")
    if action is None:
        return
    action = action.get_object()
    uri = str(action.get("/URI", ""))
    if action.get("/S") == "/URI" and uri.startswith(EXTERNAL_ANCHOR):
        name = uri[len(EXTERNAL_ANCHOR):]
        del annot["/A"]
        annot[NameObject("/Dest")] = TextStringObject(name)
        annot[NameObject("/Contents")] = TextStringObject(name)


def _dests(reader: PdfReader) -> list[tuple[str, object]]:
    names = reader.trailer["/Root"].get("/Names")
    if names is None or "/Dests" not in names.get_object():
        return []
    out: list[tuple[str, object]] = []
    stack = [names.get_object()["/Dests"].get_object()]
    while stack:
        node = stack.pop()
        if "/Names" in node:
            arr = node["/Names"]
            out += [(str(arr[i]), arr[i + 1]) for i in range(0, len(arr), 2)]
        for kid in node.get("/Kids", []):
            stack.append(kid.get_object())
    return out


def _page_map(plan, new_pages) -> dict[tuple[int, int], object]:
    """(id of reader, page object number) to the joined page."""
    out = {}
    for entry, page in zip(plan, new_pages):
        if entry is not None:
            reader, index, _ = entry
            out[(id(reader), reader.pages[index].indirect_reference.idnum)] = page
    return out


def _named_destinations(writer: PdfWriter, pages, sources) -> None:
    entries: dict[str, ArrayObject] = {}
    for source in sources.values():
        for name, dest in _dests(source.reader):
            dest = dest.get_object()
            target = pages.get((id(source.reader), dest[0].idnum)) if isinstance(dest, list) else None
            if target is None:
                continue  # the page is not part of the joined document (a part laid out again since)
            entries[name] = ArrayObject([target.indirect_reference, *[d.clone(writer) for d in list(dest)[1:]]])
    if not entries:
        return
    arr = ArrayObject()
    for name in sorted(entries, key=lambda n: n.encode("utf-16-be") if not n.isascii() else n.encode()):
        arr += [TextStringObject(name), entries[name]]
    patches.root_object(writer)[NameObject("/Names")] = DictionaryObject(
        {NameObject("/Dests"): patches.add_object(writer, DictionaryObject({NameObject("/Names"): arr}))})


def _outlines(writer: PdfWriter, pages, new_pages, sources) -> None:
    """Bookmarks of each part, in the order of the joined pages: a top-level bookmark (a part's
    title) is kept, with its children, when its page is."""
    index_of = {id(p): i for i, p in enumerate(new_pages)}
    items = []
    for source in sources.values():
        for item in _outline_items(source.reader):
            target = pages.get((id(source.reader), item[1]))
            if target is not None:
                items.append((index_of[id(target)], item, source.reader))
    items.sort(key=lambda x: (x[0], x[1][2]))

    def add(item, reader, parent):
        title, page_idnum, _, left, top, children = item
        target = pages.get((id(reader), page_idnum))
        if target is None:
            return
        ref = writer.add_outline_item(title=title, page_number=index_of[id(target)], parent=parent,
                                      fit=Fit.xyz(left, top, 0))
        for child in children:
            add(child, reader, ref)

    for _, item, reader in items:
        add(item, reader, None)


def _outline_items(reader: PdfReader) -> list:
    """(title, page object number, order, left, top, children) for each top-level bookmark."""
    counter = [0]

    def walk(entries):
        out = []
        i = 0
        while i < len(entries):
            d = entries[i]
            children = entries[i + 1] if i + 1 < len(entries) and isinstance(entries[i + 1], list) else []
            counter[0] += 1
            page_ref = d.raw_get("/Page") if "/Page" in d else None
            out.append((str(d.title), getattr(page_ref, "idnum", -1), counter[0], d.left, d.top, walk(children)))
            i += 2 if children else 1
        return out

    return walk(reader.outline)


def _folios(writer: PdfWriter, plan, new_pages, body_start: int | None) -> None:
    """Each numbered page gets its printed number at the outer corner of its foot, as an artifact."""
    from .content import font_resource, num, rgb, wrap_contents
    font = _folio_font()
    font_ref = patches.add_object(writer, font.font_dict(writer))
    save = DecodedStreamObject()
    save.set_data(b"q\n")
    save_ref = patches.add_object(writer, save)
    names: dict[int, bytes] = {}
    for number, (entry, page) in enumerate(zip(plan, new_pages)):
        if entry is None or not entry[2]:
            continue
        font_name = font_resource(page, font_ref, FOLIO_RESOURCE, names)
        label = page_label(number, body_start)
        box = page.mediabox
        x0, y0, x1 = float(box.left), float(box.bottom), float(box.right)
        width = font.width(label, FOLIO_SIZE)
        x = x1 - FOLIO_OUTER - width if number % 2 == 0 else x0 + FOLIO_OUTER
        y = y0 + FOLIO_FOOT / 2 - FOLIO_SIZE * (font.ascent + font.descent) / 2000
        ops = (b"Q\n/Artifact <</Type /Pagination /Subtype /Footer>> BDC\nq\n" + rgb(FOLIO_COLOUR, b"rg")
               + b"BT %s %s Tf 1 0 0 1 %s %s Tm (%s) Tj ET\nQ\nEMC\n"
               % (font_name, num(FOLIO_SIZE), num(x), num(y), label.encode("ascii")))
        stamp = DecodedStreamObject()
        stamp.set_data(ops)
        wrap_contents(writer, page, save_ref, stamp)
