"""Each change pressroom makes to a library's internals, and each private attribute it uses, is still
where it expects: a library upgrade that moves one fails here, loudly, not as a quietly slower or
different build."""

import zlib
from io import BytesIO

import pydyf
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, StreamObject

from pressroom.pdf import patches


def test_every_expectation_of_the_libraries_holds():
    assert patches.expectations() == []


def test_install_installs_every_change():
    assert patches.install() == {"variable fonts by HarfBuzz": True, "stream compression": True,
                                 "names written once": True, "footnotes as notes, margins as artifacts": True,
                                 "proper nouns not hyphenated": True}



def test_capitalised_words_get_no_hyphenation_points():
    from weasyprint.text import line_break
    patches.install()
    d = line_break.pyphen.Pyphen(lang="en_US", left=3, right=3)
    assert list(d.iterate("Washington")) == [] and list(d.iterate("President")) == []
    assert list(d.iterate("government"))


def test_weasyprint_fonts_go_through_harfbuzz_once_installed():
    from weasyprint.pdf import fonts
    patches.install()
    assert hasattr(fonts.Font.clean, "pressroom_original")
    assert fonts.Font.clean.pressroom_original is not fonts.Font.clean


def test_pydyf_compresses_at_the_chosen_level():
    patches.install()
    data = b"0 0 m 10 10 l S\n" * 500
    assert pydyf.zlib.compress(data) == zlib.compress(data, patches.STREAM_COMPRESSION)
    assert pydyf.zlib.compress(data) != zlib.compress(data, 9)


def test_pypdf_names_are_memoised_and_still_written_the_same():
    patches.install()
    assert hasattr(NameObject.renumber, "cache_info")
    assert NameObject("/StructElem").renumber() == b"/StructElem"
    assert NameObject("/A#20B").renumber() == NameObject("/A#20B").renumber()


def test_pypdf_private_helpers_work_on_a_real_writer():
    writer = PdfWriter()
    ref = patches.add_object(writer, DictionaryObject({NameObject("/Type"): NameObject("/Test")}))
    assert ref.get_object()["/Type"] == "/Test"
    assert patches.root_object(writer)["/Type"] == "/Catalog"
    patches.set_file_identifier(writer, b"0123456789abcdef")
    assert [bytes(x) for x in patches.file_identifier(writer)] == [b"0123456789abcdef"] * 2
    writer.add_metadata({"/Title": "t"})
    assert patches.info_dictionary(writer)["/Title"] == "t"
    stream = StreamObject()
    patches.set_encoded_data(stream, zlib.compress(b"q Q"))
    stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    written = BytesIO()
    stream.write_to_stream(written)
    assert zlib.compress(b"q Q") in written.getvalue()  # written as given, not compressed again


def test_expectations_notice_a_changed_library(monkeypatch):
    """The check can fail: a WeasyPrint whose Font.clean takes other arguments, and a pypdf stream
    without `_data`, are reported."""
    from weasyprint.pdf import fonts
    monkeypatch.setattr(fonts.Font, "clean", lambda self, subset: None)
    monkeypatch.setattr(StreamObject, "__init__", lambda self: DictionaryObject.__init__(self))
    missing = patches.expectations()
    assert "weasyprint.pdf.fonts.Font.clean(self, to_unicode, hinting)" in missing
    assert "pypdf.generic.StreamObject._data" in missing
