"""The report PDF, read back with pypdf: pages, contents, footnotes, bookmarks, labels, tags, metadata."""

from __future__ import annotations

import json
import re
from pathlib import Path

from pdfutil import find_page, normalise, outline_titles, page_texts, reader


def test_manifest_lists_every_output_with_its_hash(mini_build):
    import hashlib
    manifest = json.loads((mini_build / "manifest.json").read_text())
    paths = {e["path"] for e in manifest["outputs"]}
    assert {"en/report.pdf", "en/report.html", "fr/report.pdf", "en/lawmakers.pdf", "fr/lawmakers.pdf",
            "en/press.pdf"} <= paths
    for e in manifest["outputs"]:
        data = (mini_build / e["path"]).read_bytes()
        assert e["bytes"] == len(data)
        assert e["sha256"] == hashlib.sha256(data).hexdigest()
        assert set(e) >= {"edition", "audience", "language", "format", "path", "pages", "bytes", "sha256",
                          "recommendations"}
    report = next(e for e in manifest["outputs"] if e["path"] == "en/report.pdf")
    assert report["pages"] == len(reader(mini_build / "en/report.pdf").pages)
    assert report["recommendations"] == ["LM-1", "LM-2", "PR-1"]
    assert report["audience"] is None


def test_page_labels_are_roman_then_arabic_from_the_first_chapter(mini_build):
    r = reader(mini_build / "en/report.pdf")
    labels = r.page_labels
    texts = page_texts(mini_build / "en/report.pdf")
    first = [i for i, t in enumerate(texts) if "The first chapter opens here" in normalise(t)][0]
    assert labels[:first] == ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x"][:first]
    # cover, its blank inside; title page, colophon on its back; contents; preface; summary of
    # recommendations: each on a right-hand page
    assert first == 10
    assert labels[first] == "1"
    assert labels[-1] == str(len(labels) - first)


def test_contents_page_numbers_are_where_chapters_start(mini_build):
    path = mini_build / "en/report.pdf"
    texts = page_texts(path)
    labels = reader(path).page_labels
    toc = find_page(texts, "Contents")
    toc_text = normalise(texts[toc])
    checked = 0
    for title, opening_text in [("The first chapter", "The first chapter opens here"),
                                ("The second chapter", "This paragraph fills the page"),
                                ("Preface", "This preface says why"),
                                ("About us", "The Test Institute writes small reports")]:
        m = re.search(re.escape(title) + r"[ .]*([ivxlc]+|\d+)\b", toc_text)
        assert m, f"{title} not in contents: {toc_text}"
        start = find_page(texts[toc + 1:], opening_text) + toc + 1
        assert m.group(1) == labels[start], f"{title}: contents says {m.group(1)}, starts on {labels[start]}"
        checked += 1
    assert checked == 4


def test_footnotes_are_on_the_page_of_their_call(mini_build):
    texts = page_texts(mini_build / "en/report.pdf")
    call = find_page(texts, "The late call is here")
    assert "FOOTNOTE-LATE-TEXT" in normalise(texts[call])
    assert find_page(texts, "FOOTNOTE-ONE-TEXT") == find_page(texts, "The first chapter opens here")
    # The late footnote is on a later page than the chapter opening: the test means something.
    assert call > find_page(texts, "This paragraph fills the page")


def test_bookmarks_mirror_the_contents(mini_build):
    path = mini_build / "en/report.pdf"
    labels = reader(path).page_labels
    got = [(d, t, labels[p]) for d, t, p in outline_titles(path)]
    assert got == [
        (0, "Contents", "v"),
        (0, "Preface", "vii"),
        (0, "Summary of recommendations", "ix"),
        (0, "1. The first chapter", "1"),
        (1, "A section", "1"),
        (0, "2. The second chapter", "3"),
        (1, "Closing section", "5"),
        (0, "Appendix: The recommendations", "7"),
        (1, "1 Enabling leadership", "7"),
        (2, "LM-1 Hold a hearing every year", "7"),
        (2, "LM-2 Fund early warning", "7"),
        (1, "2 Ensuring knowledge", "8"),
        (2, "PR-1 Keep correspondents abroad", "8"),
        (0, "About us", "9"),
    ]


def test_metadata_language_and_tags(mini_build):
    r = reader(mini_build / "en/report.pdf")
    meta = r.metadata
    assert meta.title == "A Small Report: For testing the build"
    assert "Ada Author" in meta.author and "Bo Writer" in meta.author
    assert meta.subject == "A fixture for tests."
    assert "testing" in meta.get("/Keywords", "")
    root = r.trailer["/Root"]
    assert root["/Lang"] == "en-CA"
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    assert "/Metadata" in root  # XMP survives the post-pass
    assert "/Outlines" in root
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert "pdfuaid:part" in xmp
    assert "2020-05-04" in meta.get("/CreationDate", "") or meta.get("/CreationDate", "").startswith("D:20200504")


def test_recommendation_ids_are_shown_and_never_renumbered(mini_build):
    texts = page_texts(mini_build / "en/lawmakers.pdf")
    joined = normalise(" ".join(texts))
    assert "LM-1" in joined and "LM-2" in joined
    assert "PR-1" not in joined


def test_tables_figures_and_pull_quotes_are_set(mini_build):
    joined = normalise(" ".join(page_texts(mini_build / "en/report.pdf")))
    assert "A small table" in joined and "1994" in joined
    assert "A sentence worth setting large." in joined
    assert "Figure 1. Recommendations" in joined


def test_audience_passages_are_flagged_in_the_report(mini_build):
    joined = normalise(" ".join(page_texts(mini_build / "en/report.pdf")))
    assert "ASSEMBLY-ONLY-PASSAGE" in joined and "PRESS-ONLY-PASSAGE" in joined
    assert "FOR ASSEMBLY" in joined  # the label is set in small capitals (text-transform)
    assert "Mobilizing" not in joined  # the running head comes from publication.yml


def test_stylesheets_are_parsed_once_per_process_and_again_when_they_change(tmp_path):
    from pressroom.pdf.layout import configure_fontconfig, shared_stylesheets
    configure_fontconfig(tmp_path / "scratch")
    sheet = tmp_path / "print.css"
    sheet.write_text("p { color: red; }")
    first = shared_stylesheets((sheet,), [tmp_path])
    assert first is not None
    assert shared_stylesheets((sheet,), [tmp_path])[1] is first[1]
    sheet.write_text("p { color: navy; font-weight: 600; }")  # the preview server builds again in-process
    again = shared_stylesheets((sheet,), [tmp_path])
    assert again[1] is not first[1]


def test_a_stylesheet_that_reaches_outside_the_project_is_not_shared(tmp_path):
    from pressroom.pdf.layout import configure_fontconfig, shared_stylesheets
    configure_fontconfig(tmp_path / "scratch")
    sheet = tmp_path / "print.css"
    sheet.write_text('@import url("file:///etc/hostname");\np { color: red; }')
    # Each document then parses it itself, and the refusal is reported with the document's source.
    assert shared_stylesheets((sheet,), [tmp_path]) is None


def test_builds_leave_no_temporary_font_folders_even_from_their_workers(mini_copy, tmp_path):
    # WeasyPrint copies the fonts into a temporary folder per font configuration (3 MB here) and
    # removes it in a finaliser, which forked workers never run.
    import os
    import shutil
    import subprocess
    import sys
    root = Path(__file__).resolve().parent.parent
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp)}

    def run(*args: str) -> int:
        return subprocess.run([sys.executable, str(root / "build.py"), "--manuscript", str(mini_copy), "--jobs", "2",
                               "--quiet", *args], env=env, capture_output=True).returncode

    assert run("--out", str(tmp_path / "dist")) == 0
    assert sorted(p.name for p in tmp.iterdir()) == []
    # Stylesheets that are refused something are parsed by each document, in each worker: same.
    styles = tmp_path / "styles"
    shutil.copytree(root / "styles", styles)
    sheet = styles / "print.css"
    sheet.write_text('@import url("file:///etc/hostname");\n' + sheet.read_text())
    assert run("--out", str(tmp_path / "dist2"), "--styles", str(styles), "--edition", "report") == 1
    assert sorted(p.name for p in tmp.iterdir()) == []


def test_streams_are_compressed_at_zlibs_default_level_not_pydyfs_nine(mini_build):
    import zlib

    import pydyf
    from pressroom.pdf.patches import STREAM_COMPRESSION
    assert STREAM_COMPRESSION == 6
    data = b"BT /F1 9 Tf (Preventing mass atrocities) Tj ET\n" * 400
    written = pydyf.Stream([data], compress=True).data  # as WeasyPrint writes (the build set the level)
    body = written[written.index(b"\nstream\n") + 8:written.rindex(b"\nendstream")]
    assert zlib.decompress(body) == data
    assert body == zlib.compress(data, 6) != zlib.compress(data, 9)


def test_contents_leaders_are_drawn_not_typed(mini_build):
    # A row of full stops is read out by screen readers, and each was a tagged element of its own.
    path = mini_build / "en/report.pdf"
    texts = page_texts(path)
    toc = find_page(texts, "Contents")
    assert ".." not in texts[toc]
    assert re.search(r"Preface vii\b", normalise(texts[toc])), texts[toc]
    contents = reader(path).pages[toc].get_contents().get_data()
    assert contents.count(b"BDC") < 80  # a few tagged runs per entry, not one per dot
