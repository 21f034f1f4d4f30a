"""Variable fonts embedded as static subsets by HarfBuzz: the outlines of WeasyPrint's own way, to the unit."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
from fontTools.subset import Options, Subsetter
from fontTools.ttLib import TTFont
from fontTools.varLib.instancer import instantiateVariableFont

from pdfutil import reader
from pressroom.pdf.fontembed import static_location, static_subset
from pressroom.pdf.layout import font_files

AXES = {"wght": (200.0, 400.0, 900.0), "opsz": (8.0, 20.0, 60.0)}


def font(**kw):
    base = dict(variations={}, weight=400, font_size=10.5, style=0)
    return SimpleNamespace(**{**base, **kw})


def test_location_follows_weasyprint_weight_size_and_stylesheet():
    assert static_location(font(weight=600, font_size=14.0), AXES) == {"wght": 600.0, "opsz": 14.0}
    # font-variation-settings win; sizes outside the axis are clamped to it
    assert static_location(font(variations={"wght": 350.0}, font_size=6.0), AXES) == {"wght": 350.0, "opsz": 8.0}
    # an axis WeasyPrint does not choose stays at its default
    assert static_location(font(), {**AXES, "GRAD": (-1.0, 0.0, 1.0)})["GRAD"] == 0.0


def test_slant_and_italic_axes_follow_the_style():
    slnt = {"slnt": (-12.0, 0.0, 0.0), "ital": (0.0, 0.0, 1.0)}
    assert static_location(font(style=1), slnt) == {"slnt": -12.0, "ital": 0.0}
    assert static_location(font(style=2), slnt) == {"slnt": 0.0, "ital": 1.0}
    assert static_location(font(style=0), slnt) == {"slnt": 0.0, "ital": 0.0}


def fonttools_way(data: bytes, glyphs: list[int], location: dict) -> TTFont:
    """WeasyPrint's own way: subset (glyph ids kept), then fontTools' static instancer."""
    f = TTFont(io.BytesIO(data))
    opts = Options(retain_gids=True, hinting=False, desubroutinize=True, passthrough_tables=True)
    opts.drop_tables += ["GSUB", "GPOS", "SVG"]
    sub = Subsetter(opts)
    sub.populate(gids=glyphs)
    sub.subset(f)
    f = instantiateVariableFont(f, location, static=True)
    buf = io.BytesIO()
    f.save(buf)
    return TTFont(io.BytesIO(buf.getvalue()))


@pytest.mark.parametrize("name", ["SourceSerif4[opsz,wght].ttf", "SourceSans3-Italic[wght].ttf"])
def test_static_subset_has_the_outlines_of_fonttools_instancer(name):
    path = next(p for p in font_files() if p.name == name)
    data = path.read_bytes()
    glyphs = list(range(1, 400, 7))
    location = {"wght": 630.0, "opsz": 9.5} if "opsz" in name else {"wght": 630.0}
    ours = TTFont(io.BytesIO(static_subset(data, 0, glyphs, lambda axes: location, False, False)))
    theirs = fonttools_way(data, glyphs, location)
    assert not {"fvar", "gvar", "HVAR", "GPOS", "GSUB"} & set(ours.keys())
    order, ref_order = ours.getGlyphOrder(), theirs.getGlyphOrder()
    drawn = 0
    for gid in glyphs:
        a, b = ours["glyf"][order[gid]], theirs["glyf"][ref_order[gid]]
        assert a.numberOfContours == b.numberOfContours, gid
        if a.numberOfContours:
            drawn += 1
            ca, cb = list(a.getCoordinates(ours["glyf"])[0]), list(b.getCoordinates(theirs["glyf"])[0])
            assert len(ca) == len(cb), gid
            # HarfBuzz and fontTools may round a point differently: 1 unit is 1/1000 of the em
            assert max(abs(x - y) for p, q in zip(ca, cb) for x, y in zip(p, q)) <= 1, gid
            assert abs(ours["hmtx"][order[gid]][0] - theirs["hmtx"][ref_order[gid]][0]) <= 1, gid
            if a.numberOfContours > 0:
                assert a.flags[0] & 0x40, gid  # OVERLAP_SIMPLE, as the instancer sets it
    assert drawn > 40
    # the same glyphs are kept (those asked for and their components), and only those
    def kept(f):
        return {i for i, g in enumerate(f.getGlyphOrder()) if f["glyf"][g].numberOfContours}
    assert kept(ours) == kept(theirs)
    assert len(kept(ours)) < len(glyphs) * 2 < len(TTFont(io.BytesIO(data)).getGlyphOrder())


def test_the_reports_fonts_are_embedded_static(mini_build):
    seen = 0
    for page in reader(mini_build / "en/report.pdf").pages:
        for f in page["/Resources"].get("/Font", {}).values():
            f = f.get_object()
            if "/DescendantFonts" not in f:
                continue
            desc = f["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            embedded = TTFont(io.BytesIO(desc["/FontFile2"].get_object().get_data()))
            assert "fvar" not in embedded and "gvar" not in embedded, f["/BaseFont"]
            seen += 1
    assert seen


def test_writing_a_pdf_embeds_its_variable_fonts_through_harfbuzz(tmp_path, monkeypatch):
    from pressroom.pdf import fontembed
    from pressroom.pdf.layout import layout, write_pdf
    calls = []
    real = fontembed.static_subset

    def spy(*args):
        out = real(*args)
        calls.append(out is not None)
        return out

    monkeypatch.setattr(fontembed, "static_subset", spy)
    html = ('<html lang="en"><head><title>t</title></head><body><p style="font-family: \'Source Serif 4\'">'
            'Leadership</p><p style="font-family: \'Source Sans 3\'; font-weight: 600">Coordination</p></body></html>')
    laid = layout(html, tmp_path, (), [tmp_path], "test.html", tmp_path / "scratch")
    data = write_pdf(laid, "test")
    from pressroom.pdf import patches
    assert patches.variable_fonts_by_harfbuzz()
    assert calls and all(calls), calls  # one per variable font used, each made by HarfBuzz
    assert data.startswith(b"%PDF")
