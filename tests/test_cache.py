"""The output and part caches (pressroom.build.cache) in a temporary folder, and what changes an
edition's key, without a build."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from pressroom.build.cache import OutputCache, PartCache, edition_key, parts_common_key
from pressroom.load.editions import editions_to_build
from pressroom.load.manuscript import load_manuscript
from pressroom.pdf.parts import LaidPart, Unit

from conftest import FIXTURES, ROOT

KEY = "ab" * 32


# OutputCache

def test_output_cache_round_trip(tmp_path):
    cache = OutputCache(tmp_path)
    meta = {"pages": 7, "anchors": {"LM-1": "iv", "first": "1"}, "entries": {"en/report.pdf": {"pages": 7}}}
    files = {"en/report.pdf": b"%PDF-1.7 report", "en/report.html": b"<html></html>"}
    cache.store(KEY, meta, files)
    assert (tmp_path / ".cache" / "editions" / KEY / "files" / "en" / "report.pdf").read_bytes() == b"%PDF-1.7 report"
    loaded_meta, loaded_files = cache.load(KEY)
    digests = {rel: hashlib.sha256(data).hexdigest() for rel, data in files.items()}
    assert loaded_meta == {**meta, "files": ["en/report.pdf", "en/report.html"], "digests": digests}
    assert loaded_files == files
    # a new cache object on the same folder finds it too
    assert OutputCache(tmp_path).load(KEY) == (loaded_meta, files)


def test_output_cache_misses_an_unknown_key(tmp_path):
    cache = OutputCache(tmp_path)
    assert cache.load(KEY) is None
    cache.store(KEY, {"pages": 1}, {"en/a.pdf": b"a"})
    assert cache.load("cd" * 32) is None
    assert cache.load(KEY) is not None


def test_output_cache_entry_with_no_files(tmp_path):
    cache = OutputCache(tmp_path)
    cache.store(KEY, {"pages": 0}, {})
    assert cache.load(KEY) == ({"pages": 0, "files": [], "digests": {}}, {})


def test_storing_again_under_a_key_replaces_the_list_of_files(tmp_path):
    cache = OutputCache(tmp_path)
    cache.store(KEY, {"pages": 1}, {"en/a.pdf": b"a", "en/b.pdf": b"b"})
    cache.store(KEY, {"pages": 2}, {"en/a.pdf": b"A"})
    assert cache.load(KEY) == ({"pages": 2, "files": ["en/a.pdf"], "digests": {"en/a.pdf": hashlib.sha256(b"A").hexdigest()}}, {"en/a.pdf": b"A"})


@pytest.mark.parametrize("damage", ["not json", "truncated json", "no files list", "file missing"])
def test_a_damaged_output_entry_is_a_miss(tmp_path, damage):
    cache = OutputCache(tmp_path)
    cache.store(KEY, {"pages": 1}, {"en/a.pdf": b"a"})
    folder = tmp_path / ".cache" / "editions" / KEY
    result = folder / "result.json"
    if damage == "not json":
        result.write_bytes(b"\0\0\0\0")
    elif damage == "truncated json":
        result.write_text(result.read_text()[:-3])
    elif damage == "no files list":
        result.write_text(json.dumps({"pages": 1}))
    else:
        (folder / "files" / "en" / "a.pdf").unlink()
    assert cache.load(KEY) is None


def test_a_failure_to_store_is_not_an_error(tmp_path):
    (tmp_path / ".cache").write_text("a file where the cache folder would be")
    cache = OutputCache(tmp_path)
    cache.store(KEY, {"pages": 1}, {"en/a.pdf": b"a"})  # no exception
    assert cache.load(KEY) is None


# PartCache

def unit(pdf: bytes, *names: str) -> Unit:
    digest = hashlib.sha256(pdf).hexdigest()
    parts = tuple(LaidPart(name, f"key-{name}", digest, first=2 * i, count=2, anchors={name: 0, f"{name}-x": 1},
                           numbered=(True, False)) for i, name in enumerate(names))
    return Unit(pdf, parts)


def test_part_cache_round_trip(tmp_path):
    cache = PartCache(tmp_path)
    u = unit(b"%PDF-1.7 two parts", "first", "second")
    cache.store(u)
    for part in u.parts:
        loaded = cache.load(part.key)
        assert loaded == (part, u.pdf)
        assert isinstance(loaded[0].numbered, tuple)
    digest = hashlib.sha256(u.pdf).hexdigest()
    assert (tmp_path / ".cache" / "parts" / "units" / f"{digest}.pdf").read_bytes() == u.pdf
    assert sorted(p.name for p in (tmp_path / ".cache" / "parts").glob("*.json")) == ["key-first.json",
                                                                                      "key-second.json"]


def test_laid_part_meta_round_trips_through_json():
    part = unit(b"x", "cover").parts[0]
    assert LaidPart.from_meta(json.loads(json.dumps(part.meta()))) == part


def test_part_cache_misses_an_unknown_key(tmp_path):
    cache = PartCache(tmp_path)
    assert cache.load("key-first") is None
    cache.store(unit(b"pdf", "first"))
    assert cache.load("key-other") is None


@pytest.mark.parametrize("damage", ["pdf changed", "pdf missing", "json broken", "json without a field"])
def test_a_damaged_part_entry_is_a_miss(tmp_path, damage):
    cache = PartCache(tmp_path)
    u = unit(b"%PDF-1.7 one part", "first")
    cache.store(u)
    root = tmp_path / ".cache" / "parts"
    pdf = root / "units" / f"{u.parts[0].unit}.pdf"
    meta = root / "key-first.json"
    if damage == "pdf changed":
        pdf.write_bytes(b"%PDF-1.7 one part, changed")
    elif damage == "pdf missing":
        pdf.unlink()
    elif damage == "json broken":
        meta.write_text("{")
    else:
        d = json.loads(meta.read_text())
        del d["count"]
        meta.write_text(json.dumps(d))
    assert cache.load("key-first") is None


def test_a_part_pointing_at_another_unit_is_checked_against_that_unit(tmp_path):
    cache = PartCache(tmp_path)
    a, b = unit(b"unit a", "first"), unit(b"unit b", "second")
    cache.store(a)
    cache.store(b)
    assert cache.load("key-second") == (b.parts[0], b"unit b")
    assert cache.load("key-first") == (a.parts[0], b"unit a")


def test_a_failure_to_store_a_part_is_not_an_error(tmp_path):
    (tmp_path / ".cache").write_text("in the way")
    cache = PartCache(tmp_path)
    cache.store(unit(b"pdf", "first"))
    assert cache.load("key-first") is None


# edition_key

@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A copy of the fixture manuscript and of the styles, to edit."""
    root = tmp_path_factory.mktemp("project")
    shutil.copytree(FIXTURES / "mini", root / "manuscript")
    shutil.copytree(ROOT / "styles", root / "styles")
    return root


def keys(root: Path, styles: Path | None = None, pages: dict | None = None) -> dict[str, str]:
    m = load_manuscript(root / "manuscript", styles or root / "styles")
    return {e.id: edition_key(m, e, pages if e.spec.kind == "brief" else None) for e in editions_to_build(m)}


PAGES = {"LM-1": "12", "LM-2": "13", "PR-1": "14", "first": "1"}


def edit(path: Path, old: str, new: str) -> str:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    return text


def test_keys_are_stable_and_distinct(project):
    first, again = keys(project, pages=PAGES), keys(project, pages=PAGES)
    assert first == again
    assert list(first) == ["report", "report.fr", "lawmakers", "lawmakers.fr", "press"]
    assert len(set(first.values())) == 5
    assert all(len(k) == 64 for k in first.values())


def test_a_chapter_s_text_changes_the_reports_that_hold_it_and_nothing_else(project):
    before = keys(project, pages=PAGES)
    path = project / "manuscript" / "chapters" / "01-first.md"
    old = edit(path, "opens here", "begins here")
    try:
        after = keys(project, pages=PAGES)
    finally:
        path.write_text(old)
    assert {e for e in before if before[e] != after[e]} == {"report"}
    # its translation only the French report
    path = project / "manuscript" / "fr" / "chapters" / "01-first.md"
    old = edit(path, "commence ici", "débute ici")
    try:
        after = keys(project, pages=PAGES)
    finally:
        path.write_text(old)
    assert {e for e in before if before[e] != after[e]} == {"report.fr"}
    assert keys(project, pages=PAGES) == before


def test_a_brief_text_changes_its_brief_only(project):
    before = keys(project, pages=PAGES)
    path = project / "manuscript" / "briefs" / "press.md"
    old = edit(path, "Coverage matters early.", "Coverage matters very early.")
    try:
        after = keys(project, pages=PAGES)
    finally:
        path.write_text(old)
    assert {e for e in before if before[e] != after[e]} == {"press"}


def test_a_recommendation_changes_the_editions_that_take_it(project):
    before = keys(project, pages=PAGES)
    path = project / "manuscript" / "recommendations" / "PR-1.md"
    old = edit(path, "regions at risk.\n", "regions at risk, always.\n")
    try:
        after = keys(project, pages=PAGES)
    finally:
        path.write_text(old)
    assert {e for e in before if before[e] != after[e]} == {"report", "press"}


def test_an_edition_s_declaration_changes_its_own_key_only(project):
    before = keys(project, pages=PAGES)
    path = project / "manuscript" / "editions.yml"
    old = path.read_text()
    assert old.endswith("  - id: press\n    audience: press\n    languages: [en]\n    page_budget: 4\n")
    path.write_text(old[:-2] + "5\n")
    try:
        after = keys(project, pages=PAGES)
    finally:
        path.write_text(old)
    assert {e for e in before if before[e] != after[e]} == {"press"}


def test_the_styles_change_every_key(project):
    before = keys(project, pages=PAGES)
    sheet = project / "styles" / "brief.css"
    old = sheet.read_text()
    sheet.write_text(old + "\n/* a comment */\n")
    try:
        after = keys(project, pages=PAGES)
    finally:
        sheet.write_text(old)
    assert all(before[e] != after[e] for e in before)
    assert keys(project, pages=PAGES) == before


def test_the_figures_change_every_key(project):
    before = keys(project, pages=PAGES)
    figures = project / "manuscript" / "figures"
    figures.mkdir()
    try:
        (figures / "unused.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
        after = keys(project, pages=PAGES)
    finally:
        shutil.rmtree(figures)
    assert all(before[e] != after[e] for e in before)


def test_a_brief_s_key_follows_the_pages_it_cites_and_no_other(project):
    m = load_manuscript(project / "manuscript", project / "styles")
    editions = {e.id: e for e in editions_to_build(m)}
    lawmakers, report = editions["lawmakers"], editions["report"]
    key = edition_key(m, lawmakers, PAGES)
    assert edition_key(m, lawmakers, {**PAGES, "LM-2": "15"}) != key     # one of its recommendations moved
    assert edition_key(m, lawmakers, {**PAGES, "PR-1": "99"}) == key     # another brief's moved
    assert edition_key(m, lawmakers, {**PAGES, "first": "3"}) == key     # a chapter moved
    assert edition_key(m, lawmakers, {"LM-1": "12", "LM-2": "13"}) == key
    assert edition_key(m, lawmakers, {"LM-1": "12"}) != key              # a page not known is not a page
    assert edition_key(m, lawmakers, None) == edition_key(m, lawmakers, {})
    # the report's own key does not depend on page numbers
    assert edition_key(m, report, PAGES) == edition_key(m, report, None) == edition_key(m, report, {"LM-1": "1"})


def test_the_key_of_a_recommendation_edited_in_memory(project):
    # the key follows each source's hash, as the loader records it
    m = load_manuscript(project / "manuscript", project / "styles")
    e = editions_to_build(m, only="lawmakers", languages=("en",))[1]
    assert e.id == "lawmakers"
    changed = replace(e, recommendations=(replace(e.recommendations[0], sha256="0" * 64), *e.recommendations[1:]))
    assert edition_key(m, changed, PAGES) != edition_key(m, e, PAGES)
    retitled = replace(e, recommendations=(replace(e.recommendations[0], title="Another title"),
                                           *e.recommendations[1:]))
    assert edition_key(m, retitled, PAGES) == edition_key(m, e, PAGES)


def test_parts_common_key_follows_the_styles_not_the_texts(project):
    m = load_manuscript(project / "manuscript", project / "styles")
    key = parts_common_key(m)
    assert len(key) == 64
    assert parts_common_key(replace(m, editions=())) == key
    sheet = project / "styles" / "print.css"
    old = sheet.read_text()
    sheet.write_text(old + "\n")
    try:
        assert parts_common_key(m) != key
    finally:
        sheet.write_text(old)
    assert parts_common_key(m) == key
