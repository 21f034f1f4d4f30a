"""Property-based tests of the parsers: whatever the input, a value or a located BuildError, never a crash.

Front matter (pressroom.load.frontmatter.read_source), the Markdown linter and renderer (directives and
audience blocks), the manuscript loader (one file of the fixture replaced), and the recipients file
(pressroom.distribute.recipients.load_recipients): any input either loads, or raises BuildError whose every
problem names the file it is about and, unless it concerns the whole file, a line inside it."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, ROOT
from pressroom.errors import BuildError, Problem
from pressroom.load.frontmatter import read_source
from pressroom.load.lint import lint_markdown
from pressroom.render.markdown import RenderContext, render_markdown

AUDIENCES = ["lawmakers", "press"]
FUZZ = int(os.environ.get("PRESSROOM_FUZZ", "0") or 0)
"""PRESSROOM_FUZZ=N runs N times more random examples (a new draw each run); unset, the draw is fixed."""


def examples(n: int) -> settings:
    """Settings for a property test: n examples, the same ones every run unless PRESSROOM_FUZZ is set."""
    return settings(max_examples=n * max(FUZZ, 1), deadline=None, derandomize=not FUZZ,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def assert_located(exc: BuildError, files: dict[Path, int], whole_file_ok: bool = True,
                   root: Path | None = None, one_line: bool = True) -> None:
    """Every problem names one of `files` (path -> its number of lines) and a line inside it; with
    `root`, a problem may also name a file under it that does not exist (a missing file), without a line."""
    assert exc.problems, "a BuildError without problems"
    known = {p.resolve(): n for p, n in files.items()}
    for problem in exc.problems:
        assert isinstance(problem, Problem)
        path = Path(problem.location.path).resolve()
        line = problem.location.line
        if path not in known:
            assert root is not None and root.resolve() in path.parents and not path.exists() and line is None, \
                f"{problem} names no file it was given ({sorted(map(str, known))})"
        elif line is None:
            assert whole_file_ok, f"{problem} has no line"
        else:
            assert 1 <= line <= known[path], f"{problem}: line {line} outside the file ({known[path]} lines)"
        assert problem.message and (not one_line or "\n" not in problem.message), problem
        assert "Traceback" not in problem.message and "object at 0x" not in problem.message, problem


def line_count(path: Path) -> int:
    """Lines in a file, counting every line break some reader honours (CSV and YAML count a lone CR)."""
    text = path.read_bytes().decode("utf-8", "replace")
    return len(text.splitlines()) + 1


# --- Front matter -------------------------------------------------------------------------------

YAML_BITS = st.sampled_from([
    "title", "id", "audiences", "short_title", ":", ": ", " ", "  ", "\t", "\n", "\n  ", "- ", "-", "[", "]",
    "{", "}", ",", "'", '"', "#", "*x", "&a ", "!", "!!str ", "%", "@", "`", "|", ">", "?", "...", "---", "\\",
    "null", "true", "yes", "4", "1e9", "2009-09-21", "é", "«", "\u00a0", "\u2028", "\x00", "\x07", "\ufeff",
    "[a, b]", "{a: 1}", "key: value", "a: b: c",
])
YAMLISH = st.lists(st.one_of(YAML_BITS, st.text(max_size=6)), max_size=30).map("".join)


@examples(200)
@given(meta=YAMLISH, body=st.text(max_size=40), closed=st.booleans(), crlf=st.booleans())
@example(meta="title: [unclosed", body="Text.", closed=True, crlf=False)
@example(meta="a: " + "[" * 3000 + "]" * 3000, body="", closed=True, crlf=False)
@example(meta="title: x\ntitle: y", body="", closed=True, crlf=True)
@example(meta="\x00", body="", closed=True, crlf=False)
def test_front_matter_loads_or_fails_located(meta, body, closed, crlf):
    text = "---\n" + meta + ("\n---\n" if closed else "\n") + body
    if crlf:
        text = text.replace("\n", "\r\n")
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "01-chapter.md"
        path.write_text(text, encoding="utf-8", newline="")
        lines = line_count(path)
        try:
            src = read_source(path)
        except BuildError as exc:
            assert_located(exc, {path: lines}, whole_file_ok=False)
            return
    assert isinstance(src.meta, dict) and src.meta.line >= 1
    assert all(1 <= n <= lines for n in src.meta.key_lines.values()), src.meta.key_lines
    assert src.body_line >= 3


@examples(100)
@given(data=st.binary(max_size=80))
@example(data=b"---\ntitle: Caf\xe9\n---\n\nText.\n")
@example(data=b"\xef\xbb\xbf---\ntitle: BOM\n---\n")
def test_any_bytes_load_or_fail_located(data):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "01-chapter.md"
        path.write_bytes(b"---\n" + data if data[:1] != b"\xef" else data)
        try:
            read_source(path)
        except BuildError as exc:
            assert_located(exc, {path: line_count(path)}, whole_file_ok=False)


# --- Markdown: directives and audience blocks -----------------------------------------------------

DIRECTIVE_LINES = st.sampled_from([
    ":::", ":::", "::: pullquote", "::: audience lawmakers", "::: audience press", "::: audience lawmakers press",
    "::: audience", "::: audience lawmaker", "::: pulquote", "::: unknown-thing", ":::: x", "::: 1x", ":::  ",
    "```", "~~~", "## Heading", "#### Deep", "# Title", "Text with a note.[^n]", "[^n]: The note.",
    "[^m]: Unused note.", "See [LM-1](#LM-1).", "See [x](#nowhere).", "![Alt](generated:recommendation-matrix)",
    "![](figures/none.png)", "![A map](../x.png)", "<div>raw</div>", "| a | b |", "|---|---|", "", "  ",
    "> quote", "- item", "1. item", "    indented code", "Table: A caption",
])
BODIES = st.lists(st.one_of(DIRECTIVE_LINES, st.text(max_size=12)), max_size=25).map("\n".join)


def ctx(audience, footnotes="print") -> RenderContext:
    return RenderContext("sec", audience, {"lawmakers": "Assembly", "press": "Press"},
                         frozenset({"LM-1", "sec"}), footnotes)


@examples(200)
@given(body=BODIES, first_line=st.integers(1, 50))
def test_lint_and_render_never_crash_and_locate_every_problem(body, first_line, tmp_path):
    path = tmp_path / "chapters" / "03-x.md"
    problems = lint_markdown(body, path, first_line, {"LM-1", "first"}, AUDIENCES, tmp_path)
    last = first_line + body.count("\n")
    for p in problems:
        assert Path(p.location.path).resolve() == path.resolve(), p
        assert p.location.line is not None and first_line <= p.location.line <= last, (p, first_line, last)
        assert p.message, p
    for audience in (None, *AUDIENCES):
        for footnotes in ("print", "web"):
            html = render_markdown(body, ctx(audience, footnotes))
            assert isinstance(html, str)


BLOCK_LINES = st.one_of(
    st.sampled_from(["::: audience lawmakers", "::: audience press", "::: audience lawmakers press",
                     "::: pullquote", ":::"]),
    st.just("TEXT"),
)


@examples(200)
@given(lines=st.lists(BLOCK_LINES, min_size=1, max_size=20), audience=st.sampled_from([None, *AUDIENCES]))
def test_audience_blocks_keep_exactly_the_passages_for_the_audience(lines, audience, tmp_path):
    """A passage is shown iff every audience block around it includes the edition's audience."""
    body_lines, expected_shown, expected_hidden = [], set(), set()
    stack: list[bool] = []
    for n, line in enumerate(lines):
        if line == "TEXT":
            token = f"passage{n}x"
            (expected_shown if all(stack) else expected_hidden).add(token)
            body_lines += ["", token, ""]
            continue
        body_lines.append(line)
        if line == ":::":
            if stack:
                stack.pop()
        elif line.startswith("::: audience"):
            stack.append(audience is None or audience in line.split()[2:])
        else:
            stack.append(True)
    body = "\n".join(body_lines)
    problems = lint_markdown(body, tmp_path / "x.md", 1, set(), AUDIENCES, tmp_path)
    balanced = not stack and not any(p.message.startswith("':::' closes nothing") for p in problems)
    html = render_markdown(body, ctx(audience))
    words = set(re.findall(r"passage\d+x", html))
    assert words >= expected_shown
    if balanced:
        assert problems == []
        assert not words & expected_hidden, (body, html)
        assert html.count("<div") + html.count("<aside") == html.count("</div>") + html.count("</aside>")


# --- The manuscript, one file replaced ------------------------------------------------------------

@pytest.fixture(scope="module")
def manuscript_copy():
    """One writable copy of the fixture manuscript for the module; tests restore what they change."""
    with tempfile.TemporaryDirectory() as d:
        root = Path(d) / "manuscript"
        shutil.copytree(FIXTURES / "mini", root)
        yield root


def load_with(root: Path, rel: str, text: str, languages: tuple[str, ...] | None = None):
    """load_manuscript with `rel` replaced by `text`; the original is put back afterwards."""
    from pressroom.load.manuscript import load_manuscript
    target = root / rel
    original = target.read_bytes() if target.exists() else None
    target.write_text(text, encoding="utf-8")
    try:
        return load_manuscript(root, ROOT / "styles", languages)
    except BuildError as exc:
        files = {p: line_count(p) for p in root.rglob("*") if p.is_file()}
        files[root] = 1
        assert_located(exc, files, root=root)
        return exc
    finally:
        if original is None:
            target.unlink()
        else:
            target.write_bytes(original)


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 99), st.floats(allow_nan=False, width=16),
                    st.sampled_from(["", "lawmakers", "press", "leadership", "LM-1", "LM-9", "us2", "en", "fr", "de",
                                     "report", "brief", "four", "first", "2020-05-04", "21/09/2009", "audience",
                                     "chapters/*.md", "recommendations", "../x", "/etc/passwd", "all", "none",
                                     "print.css", "a4", "xx_YY", "fr_CA"]),
                    st.text(max_size=8))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["id", "label", "order", "text", "x"]), inner,
                                                  max_size=3)), max_leaves=8)
REC_KEYS = ["id", "title", "rubric", "country", "audiences", "summary", "source_sha256", "sumary", "audience"]
SECTION_KEYS = ["title", "short_title", "id", "audience", "source_sha256", "titel"]
PUB_KEYS = ["title", "subtitle", "authors", "date", "version", "language", "languages", "locale", "audiences",
            "rubrics", "epigraph", "licence", "keywords", "page_size", "labels", "website", "subtitel"]
EDITION_KEYS = ["id", "kind", "audience", "languages", "contents", "recommendations", "stylesheet", "page_budget",
                "web", "page_budjet"]


def mapping(keys, base: dict) -> st.SearchStrategy[dict]:
    """The base mapping with some keys replaced, dropped or added with arbitrary values."""
    return st.dictionaries(st.sampled_from(keys), st.one_of(st.just("DROP"), VALUES), max_size=4).map(
        lambda changes: {k: v for k, v in {**base, **changes}.items() if v != "DROP"})


def front(meta: dict, body: str) -> str:
    return "---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False) + "---\n\n" + body + "\n"


REC_BASE = {"id": "LM-2", "title": "Fund early warning", "rubric": "leadership", "country": "CA",
            "audiences": ["lawmakers"], "summary": "The Assembly funds early warning."}


@examples(60)
@given(meta=mapping(REC_KEYS, REC_BASE), body=BODIES)
def test_recommendation_front_matter_loads_or_fails_located(manuscript_copy, meta, body):
    load_with(manuscript_copy, "recommendations/LM-2.md", front(meta, body))


@examples(60)
@given(meta=mapping(SECTION_KEYS, {"title": "A chapter"}), body=BODIES, raw=st.one_of(st.none(), YAMLISH))
def test_chapter_loads_or_fails_located(manuscript_copy, meta, body, raw):
    text = front(meta, body) if raw is None else f"---\n{raw}\n---\n\n{body}\n"
    load_with(manuscript_copy, "chapters/03-new.md", text, ("en",))  # a new chapter has no translation


PUB_BASE = yaml.safe_load((FIXTURES / "mini" / "publication.yml").read_text())
PUB_BASE["date"] = "2020-05-04"


@examples(60)
@given(data=mapping(PUB_KEYS, PUB_BASE))
def test_publication_settings_load_or_fail_located(manuscript_copy, data):
    load_with(manuscript_copy, "publication.yml", yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


@examples(60)
@given(edition=mapping(EDITION_KEYS, {"id": "lawmakers", "audience": "lawmakers", "languages": ["en", "fr"],
                                      "page_budget": 4}), raw=st.one_of(st.none(), YAMLISH))
def test_editions_load_or_fail_located(manuscript_copy, edition, raw):
    text = yaml.safe_dump({"editions": [{"id": "report", "kind": "report"}, edition]}) if raw is None else raw
    load_with(manuscript_copy, "editions.yml", text)


# --- Recipients -------------------------------------------------------------------------------------

import pressroom.distribute.recipients as recipients  # noqa: E402 - an import that fails must fail the tests, not skip them


@pytest.fixture(scope="module")
def publication_and_editions():
    from pressroom.load.config import load_editions, load_publication
    pub = load_publication(FIXTURES / "mini" / "publication.yml")
    return pub, load_editions(FIXTURES / "mini" / "editions.yml", pub)


CSV_CELLS = st.one_of(
    st.sampled_from(["name", "title", "office", "country", "audience", "language", "email", "send", "Jane Doe",
                     "CA", "US", "ca", "lawmakers", "press", "lawmaker", "en", "fr", "de", "jane@example.org",
                     "jane@", "both", "report", "brief", "", " ", "#", "Zoë", "Ω", "\u202e", "\x00", "a\nb"]),
    st.text(max_size=8))
CSV_ROWS = st.lists(st.lists(CSV_CELLS, max_size=9), max_size=5)
HEADER = "name,title,office,country,audience,language,email,send"


def to_csv(rows: list[list[str]], quote: bool) -> str:
    def cell(c: str) -> str:
        return '"' + c.replace('"', '""') + '"' if quote or any(x in c for x in ',"\n') else c
    return "\n".join(",".join(cell(c) for c in row) for row in rows)


@examples(120)
@given(rows=CSV_ROWS, header=st.booleans(), quote=st.booleans(), raw=st.one_of(st.none(), st.text(max_size=60)))
@example(rows=[["Jane Doe", "", "", "CA", "lawmakers", "en", "jane@example.org", "both"]], header=True, quote=False,
         raw=None)
def test_recipients_csv_loads_or_fails_located(publication_and_editions, rows, header, quote, raw, tmp_path_factory):
    pub, editions = publication_and_editions
    text = raw if raw is not None else (HEADER + "\n" if header else "") + to_csv(rows, quote)
    path = tmp_path_factory.mktemp("recipients") / "list.csv"
    path.write_text(text, encoding="utf-8")
    check_recipients(path, pub, editions)


RECIPIENT_KEYS = ["name", "title", "office", "country", "audience", "language", "email", "send", "mail"]


@examples(120)
@given(items=st.lists(st.one_of(
           st.dictionaries(st.sampled_from(RECIPIENT_KEYS), st.one_of(CSV_CELLS, VALUES), max_size=8), VALUES),
           max_size=4),
       wrapped=st.booleans(), raw=st.one_of(st.none(), YAMLISH))
def test_recipients_yaml_loads_or_fails_located(publication_and_editions, items, wrapped, raw, tmp_path_factory):
    pub, editions = publication_and_editions
    if raw is not None:
        text = raw
    else:
        text = yaml.safe_dump({"recipients": items} if wrapped else items, allow_unicode=True)
    path = tmp_path_factory.mktemp("recipients") / "list.yml"
    path.write_text(text, encoding="utf-8")
    check_recipients(path, pub, editions)


def check_recipients(path: Path, pub, editions) -> None:
    try:
        result = recipients.load_recipients(path, pub, editions)
    except BuildError as exc:
        # one_line=False: see test_recipient_messages_are_one_line
        assert_located(exc, {path: line_count(path)}, one_line=False)
        return
    assert all(r.line >= 1 for r in result.recipients)


def test_recipient_messages_are_one_line(publication_and_editions, tmp_path):
    pub, editions = publication_and_editions
    path = tmp_path / "list.csv"
    path.write_text('name,title,office,country,audience,language,email,"a\nb"\n', encoding="utf-8")
    with pytest.raises(BuildError) as info:
        recipients.load_recipients(path, pub, editions)
    assert_located(info.value, {path: line_count(path)})
