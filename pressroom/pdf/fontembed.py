"""Embed the variable fonts as static subsets in one HarfBuzz call (WeasyPrint's fontTools instancer
is the slowest step of writing a PDF)."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

# What WeasyPrint's own subsetting drops (weasyprint/pdf/fonts.py, Font._harfbuzz_subset).
DROP_TABLES = ("BASE", "DSIG", "EBDT", "EBLC", "EBSC", "GPOS", "GSUB", "JSTF", "LTSH", "PCLT", "SVG ")


def static_location(font, axes: dict[str, tuple[float, float, float]]) -> dict[str, float]:
    """Where each axis is pinned for a font as WeasyPrint describes it: the axes the stylesheet set
    (`font-variation-settings`), then weight, optical size (the font size), slant and italic as
    WeasyPrint's Font.clean chooses them; every other axis at its default. Values are clamped to the
    axis range."""
    chosen = dict(font.variations)
    if "wght" in axes:
        chosen.setdefault("wght", font.weight)
    if "opsz" in axes:
        chosen.setdefault("opsz", font.font_size)
    if "slnt" in axes and "slnt" not in chosen:
        low, _, high = axes["slnt"]
        chosen["slnt"] = (low if high == 0 else high) if font.style == 1 else 0
    if "ital" in axes:
        chosen.setdefault("ital", int(font.style == 2))
    location = {}
    for tag, (low, default, high) in axes.items():
        location[tag] = min(max(float(chosen.get(tag, default)), low), high)
    return location


def static_subset(data: bytes, index: int, glyphs, location_of, hinting: bool, notdef_outline: bool,
                  unicodes=None, drop: tuple[str, ...] = DROP_TABLES) -> bytes | None:
    """The glyphs `glyphs` of a variable font (glyph ids kept), or those of the characters `unicodes`
    (glyphs renumbered, character map kept), instanced at `location_of(axes)`; None when HarfBuzz
    cannot make it."""
    import uharfbuzz as hb
    face = hb.Face(hb.Blob(data), index)
    axes = {a.tag: (a.min_value, a.default_value, a.max_value) for a in face.axis_infos}
    subset = hb.SubsetInput()
    for gid in glyphs:
        subset.glyph_set.add(gid)
    for code in unicodes or ():
        subset.unicode_set.add(code)
    # SET_OVERLAPS_FLAG as fontTools' instancer does: a variable font's contours overlap, and the
    # flag tells rasterisers to fill them without seams.
    flags = hb.SubsetFlags.PASSTHROUGH_UNRECOGNIZED | hb.SubsetFlags.DESUBROUTINIZE | hb.SubsetFlags.SET_OVERLAPS_FLAG
    if unicodes is None:
        flags |= hb.SubsetFlags.RETAIN_GIDS
    if not hinting:
        flags |= hb.SubsetFlags.NO_HINTING
    if notdef_outline:
        flags |= hb.SubsetFlags.NOTDEF_OUTLINE
    subset.flags = flags
    drop_set = subset.sets(hb.SubsetInputSets.DROP_TABLE_TAG)
    for tag in drop:
        drop_set.add(int.from_bytes(tag.encode("ascii"), "big"))
    for tag, value in location_of(axes).items():
        if not subset.pin_axis_location(face, tag, value):
            return None
    result = hb.subset(face, subset)
    if result is None:
        return None
    out = result.blob.data
    return bytes(out) if out else None
