"""Real Markdown books, copied unchanged (tests/corpus/*/SOURCE.md), build without edits: every
warning located, no leftover markup in the PDF text, no character printed as an empty box."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import run_cli
from pressroom.load.glyphs import covered

CORPUS = Path(__file__).parent / "corpus"
BOOKS = sorted(p for p in CORPUS.iterdir() if (p / "publication.yml").is_file())
JUNK = ("{:", "{%", "%}", "{{", "}}", "\\$", "!!!", "[^", "1980")
LOCATED = re.compile(r"^\S+:\d+: (warning|error): ")


def text_of(pdf: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(pdf).pages)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Each book checked and built once: {name: (check output, build output, out folder)}."""
    out = {}
    for book in BOOKS:
        folder = tmp_path_factory.mktemp(book.name)
        import contextlib
        import io
        check, build = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(check), contextlib.redirect_stderr(check):
            check_code = run_cli("check", "--manuscript", book)
        with contextlib.redirect_stdout(build), contextlib.redirect_stderr(build):
            build_code = run_cli("build", "--manuscript", book, "--out", folder / "dist", "--quiet")
        out[book.name] = (check_code, check.getvalue(), build_code, build.getvalue(), folder / "dist")
    return out


def test_the_corpus_has_three_books_of_different_origins():
    assert len(BOOKS) >= 3
    for book in BOOKS:
        source = (book / "SOURCE.md").read_text()
        assert re.search(r"\b[0-9a-f]{40}\b", source), "the commit is recorded"
        assert "Licen" in source


@pytest.mark.parametrize("book", BOOKS, ids=[b.name for b in BOOKS])
def test_a_real_book_builds_with_zero_edits(book, built):
    check_code, check, build_code, build, dist = built[book.name]
    assert check_code == 0, check
    assert build_code == 0, build
    problems = [line for line in check.splitlines() if ": warning: " in line or ": error: " in line]
    assert all(LOCATED.match(line) for line in problems), problems
    assert all(": error: " not in line for line in problems)
    pdfs = sorted(dist.glob("*/report.pdf"))
    assert pdfs
    fonts = covered()
    for pdf in pdfs:
        text = text_of(pdf)
        assert [j for j in JUNK if j in text] == [], pdf
        tofu = {ch for ch in text if not ch.isspace() and ord(ch) >= 0x250 and ord(ch) not in fonts}
        assert tofu == set(), pdf


def test_links_between_chapters_and_to_headings_resolve(built):
    dist = built["derisking-federal-field-guide"][4]
    html = (dist / "en" / "report.html").read_text()
    # {{ "/derisking/federal-field-guide/basic-principles/" | url }} is the next chapter's permalink
    assert 'href="#basic-principles"' in html
    assert re.search(r'<h\d[^>]*id="user-centered-design"', html)
    dist = built["mkdocs-user-guide"][4]
    html = (dist / "en" / "report.html").read_text()
    assert 'href="#github-pages"' in html and 'id="github-pages"' in html
    # links to pages the book does not hold are plain text, and said so
    assert "configuration.md" not in html
    assert "deploying-your-docs.md:98: warning: link to './configuration.md#remote_branch'" in \
        built["mkdocs-user-guide"][1]


def test_leftover_markup_is_warned_about_where_it_is(built):
    check = built["derisking-federal-field-guide"][1]
    assert "1-introduction.md:25: warning: Liquid tag '{% include 'derisking/download_guide.html'" in check
    assert "1-introduction.md:51: warning: heading 'Footnotes' left out" in check
    assert "2-basic-principles.md:37: warning: heading level skips from 1 to 3: set as level 2" in check


def test_an_undated_publication_prints_no_date(built):
    check_code, check, _, _, dist = built["opensource-guide"]
    assert "publication.yml:1: warning: the publication has no date" in check
    for pdf in dist.glob("*/report.pdf"):
        assert not re.search(r"January 1|1980|janvier", text_of(pdf))


def test_the_translation_is_built_and_the_emoji_is_a_picture(built):
    dist = built["opensource-guide"][4]
    fr = text_of(dist / "fr" / "report.pdf")
    assert "Guides Open Source" in fr and "Votre code de conduite" in fr
    html = (dist / "en" / "report.html").read_text()
    assert 'class="emoji"' in html and 'alt="earth globe americas"' in html


def test_a_missing_translated_chapter_falls_back_with_a_warning(tmp_path, capsys):
    book = tmp_path / "book"
    shutil.copytree(CORPUS / "opensource-guide", book)
    (book / "extra.md").write_text("# An extra chapter\n\nOnly in English.\n")
    (book / "publication.yml").write_text((book / "publication.yml").read_text().replace(
        "  - code-of-conduct.md", "  - code-of-conduct.md\n  - extra.md"))
    assert run_cli("build", "--manuscript", book, "--out", tmp_path / "dist", "--quiet", "--language", "fr") == 0
    assert run_cli("check", "--manuscript", book) == 0
    out = capsys.readouterr()
    assert "fr/extra.md: warning: missing translation of extra.md: the English text is used instead" in out.out + out.err
    fr = text_of(tmp_path / "dist" / "fr" / "report.pdf")
    assert "Only in English." in fr and "Votre code de conduite" in fr
    assert run_cli("build", "--manuscript", book, "--out", tmp_path / "strict", "--quiet", "--strict") == 1


def test_kramdown_attributes_dollars_and_other_markup(tmp_path, capsys):
    book = tmp_path / "book"
    book.mkdir()
    (book / "publication.yml").write_text("title: Dialects\nlanguage: en\ndate: '2024-05-01'\nchapters: ['*.md']\n")
    (book / "one.md").write_text(
        "---\nlayout: page\ntitle: One\n---\n\n"
        "A lead paragraph.\n{:.lead}\n\n"
        "{: .orphan}\n\n"
        "It costs \\$5 {{< figure src=\"x.png\" >}} and {% raw %}raw{% endraw %}.\n\n"
        "See {ref}`the other chapter <two>` and [two](two.md#second-part).\n\n"
        "```{note}\nA MyST note.\n```\n\n"
        "Greek Αθήνα, Cyrillic Москва.\n")
    (book / "two.md").write_text("# Two\n\n## Second part {#second-part}\n\nText.\n\nA snowman ☃.\n")
    assert run_cli("check", "--manuscript", book) == 0
    check = capsys.readouterr()
    text = check.out + check.err
    assert "one.md:9: warning: kramdown attribute list '{: .orphan}' left out" in text
    assert "one.md:11: warning: Hugo shortcode '{{< figure src=\"x.png\" >}}' left out" in text
    assert "one.md:13: warning: MyST role '{ref}' is not supported" in text
    assert "one.md:15: warning: MyST directive '{note}' is not supported" in text
    assert "two.md:7: warning: no font of the publication has '☃' (U+2603 SNOWMAN)" in text
    assert run_cli("build", "--manuscript", book, "--out", tmp_path / "dist", "--quiet") == 0
    html = (tmp_path / "dist" / "en" / "report.html").read_text()
    assert '<p class="lead">A lead paragraph.</p>' in html
    assert 'href="#second-part"' in html and 'id="second-part"' in html
    pdf = text_of(tmp_path / "dist" / "en" / "report.pdf").split("Second part")[0]
    assert "$5" in pdf and "\\$" not in pdf and "{" not in pdf
    assert "Αθήνα" in pdf and "Москва" in pdf and "A MyST note." in pdf


def test_a_wide_table_from_a_real_book_stays_on_the_page(tmp_path):
    book = tmp_path / "book"
    book.mkdir()
    (book / "publication.yml").write_text("title: Wide\nlanguage: en\ndate: '2024-05-01'\nchapters: ['*.md']\n")
    long = "https://example.org/a/very/long/path/that/never/breaks/anywhere/at/all"
    (book / "wide.md").write_text(
        "# Wide\n\n| Setting | Default | Type | Where | Example | Notes | Since | See |\n"
        "|---|---|---|---|---|---|---|---|\n"
        f"| `use_directory_urls_for_every_single_page` | `true` | boolean | mkdocs.yml | `use_directory_urls: false` "
        f"| https://www.mkdocs.org/user-guide/configuration/#use_directory_urls | 1.0 | {long} |\n")
    assert run_cli("build", "--manuscript", book, "--out", tmp_path / "dist", "--quiet") == 0
    reader = PdfReader(tmp_path / "dist" / "en" / "report.pdf")
    page = next(p for p in reader.pages if "Setting" in p.extract_text())
    width = float(page.mediabox.width)
    xs = []
    page.extract_text(visitor_text=lambda text, cm, tm, font, size: xs.append(tm[4] * cm[0] + cm[4]) if text.strip() else None)
    assert xs and max(xs) < width - 50  # the right margin; an overflowing column starts past it
    assert "anywhere/at/all" in page.extract_text().replace("\n", "")


def test_root_relative_and_chapter_relative_images(tmp_path, capsys):
    from PIL import Image
    book = tmp_path / "book"
    (book / "assets" / "images").mkdir(parents=True)
    (book / "docs" / "img").mkdir(parents=True)
    Image.new("RGB", (40, 20), "navy").save(book / "assets" / "images" / "chart.png")
    (book / "docs" / "img" / "dot.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><circle cx="5" cy="5" r="4"/></svg>')
    (book / "publication.yml").write_text("title: Pictures\nlanguage: en\ndate: '2024-05-01'\n"
                                          "chapters: [docs/guide/one.md]\n")
    (book / "docs" / "guide").mkdir()
    (book / "docs" / "guide" / "one.md").write_text(
        "# One\n\n![A chart](/assets/images/chart.png)\n\n![A dot](../img/dot.svg)\n\n"
        "![Missing](/assets/images/nowhere.png)\n\n![Remote](https://example.org/pic.png)\n")
    assert run_cli("check", "--manuscript", book) == 1
    err = capsys.readouterr()
    text = err.out + err.err
    assert "one.md:7: error: image not found: '/assets/images/nowhere.png'" in text
    assert ("one.md:9: error: remote image 'https://example.org/pic.png' is not fetched (a publication is built from "
            "its own files: download it into the manuscript folder, e.g. as figures/pic.png") in text
    assert "chart.png" not in text.replace("nowhere.png", "") and "dot.svg" not in text
    (book / "docs" / "guide" / "one.md").write_text(
        "# One\n\n![A chart](/assets/images/chart.png)\n\n![A dot](../img/dot.svg)\n")
    assert run_cli("build", "--manuscript", book, "--out", tmp_path / "dist", "--quiet") == 0
    reader = PdfReader(tmp_path / "dist" / "en" / "report.pdf")
    images = [img for page in reader.pages for img in page.images]
    assert images, "the root-relative PNG is in the PDF"


def test_markup_inside_inline_code_is_shown_as_written(tmp_path, capsys):
    book = tmp_path / "book"
    book.mkdir()
    (book / "publication.yml").write_text("title: Templates\nlanguage: en\ndate: '2024-05-01'\nchapters: ['*.md']\n")
    (book / "one.md").write_text("# One\n\nWrite `{{ page.title }}` or `{% include x.html %}` in a template.\n")
    assert run_cli("check", "--manuscript", book) == 0
    out = capsys.readouterr()
    assert ": warning:" not in out.out + out.err
    assert run_cli("build", "--manuscript", book, "--out", tmp_path / "dist", "--quiet") == 0
    html = (tmp_path / "dist" / "en" / "report.html").read_text()
    assert "<code>{{ page.title }}</code>" in html and "<code>{% include x.html %}</code>" in html
