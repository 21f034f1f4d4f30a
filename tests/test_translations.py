"""Translations (pressroom.load.translations) on a copy of the fixture manuscript: each file records
the SHA-256 of the English source it translates (`source_sha256:`); missing, stale and signed-off
translations, and `sign_off`."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pressroom.errors import BuildError, Problem, Problems, SourceLocation
from pressroom.load.manuscript import load_manuscript
from pressroom.load.translations import load_translation, sign_off, translation_path

from conftest import ROOT


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def english(root: Path):
    return load_manuscript(root, ROOT / "styles", languages=("en",)).texts["en"]


def french(root: Path) -> tuple[object, list[Problem]]:
    p = Problems()
    texts = load_translation(root, "fr", english(root), p)
    return texts, p.items


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def warning(path: Path, line: int | None, message: str) -> Problem:
    return Problem(SourceLocation.of(path, line), message, "warning")


def error(path: Path, line: int | None, message: str) -> Problem:
    return Problem(SourceLocation.of(path, line), message)


def test_translation_path_mirrors_the_original_tree():
    assert translation_path(Path("m"), "fr", "chapters/01-first.md") == Path("m/fr/chapters/01-first.md")
    assert translation_path(Path("m"), "de", "recommendations/LM-1.md") == Path("m/de/recommendations/LM-1.md")


def test_the_recorded_hash_is_that_of_the_english_file(mini_copy):
    # what the fixture's translations record is the SHA-256 of their English source's bytes
    for rel in ("chapters/01-first.md", "briefs/press.md", "recommendations/LM-2.md"):
        recorded = next(line.split(": ", 1)[1] for line in (mini_copy / "fr" / rel).read_text().splitlines()
                        if line.startswith("source_sha256:"))
        assert recorded == sha(mini_copy / rel)


def test_signed_off_translations_load_without_a_problem(mini_copy):
    texts, problems = french(mini_copy)
    assert problems == []
    en = english(mini_copy)
    assert [s.rel for s in texts.sections] == [s.rel for s in en.sections]
    assert [r.id for r in texts.recommendations] == [r.id for r in en.recommendations]
    first = texts.sections[1]
    assert (first.rel, first.title, first.short_title) == ("chapters/01-first.md", "Le premier chapitre", "Premier")
    assert first.path == mini_copy / "fr" / "chapters" / "01-first.md"
    assert first.sha256 == sha(first.path)  # the translation's own hash, for build keys
    second = texts.sections[2]
    assert second.short_title == second.title == "Le deuxième chapitre"  # no short title: the title
    assert texts.publication.title == "Un petit rapport"
    assert (texts.language, texts.publication.language, texts.publication.locale) == ("fr", "fr", "fr_CA")


def test_an_english_source_edited_since_makes_its_translation_stale(mini_copy):
    edit(mini_copy / "chapters" / "01-first.md", "opens here", "begins here")
    _, problems = french(mini_copy)
    path = mini_copy / "fr" / "chapters" / "01-first.md"
    assert problems == [warning(path, 5, "stale translation: chapters/01-first.md has changed since it was "
                                         f"translated (update it, then run: pressroom sign-off {path.as_posix()})")]


def test_a_stale_recommendation(mini_copy):
    edit(mini_copy / "recommendations" / "LM-1.md", "every year", "each year")
    _, problems = french(mini_copy)
    path = mini_copy / "fr" / "recommendations" / "LM-1.md"
    assert problems == [warning(path, 5, "stale translation: recommendations/LM-1.md has changed since it was "
                                         f"translated (update it, then run: pressroom sign-off {path.as_posix()})")]


def test_a_stale_translation_is_a_warning_of_the_whole_load_not_an_error(mini_copy):
    edit(mini_copy / "briefs" / "press.md", "Coverage matters early.", "Coverage matters.")
    m = load_manuscript(mini_copy, ROOT / "styles")
    path = mini_copy / "fr" / "briefs" / "press.md"
    assert [(w.severity, w.location, w.message.split(":")[0]) for w in m.warnings] == [
        ("warning", SourceLocation.of(path, 4), "stale translation")]
    assert "fr" in m.texts


def test_editing_the_translation_does_not_make_it_stale(mini_copy):
    edit(mini_copy / "fr" / "chapters" / "01-first.md", "commence ici", "débute ici")
    texts, problems = french(mini_copy)
    assert problems == []
    assert "débute ici" in texts.sections[1].body


def test_a_missing_translation_is_an_error_naming_the_file(mini_copy):
    missing = mini_copy / "fr" / "chapters" / "02-second.md"
    missing.unlink()
    (mini_copy / "fr" / "recommendations" / "PR-1.md").unlink()
    texts, problems = french(mini_copy)
    assert problems == [
        error(missing, None, "missing translation of chapters/02-second.md (expected a fr file at this path)"),
        error(mini_copy / "fr" / "recommendations" / "PR-1.md", None,
              "missing translation of recommendations/PR-1.md (expected a fr file at this path)"),
    ]
    assert "chapters/02-second.md" not in [s.rel for s in texts.sections]
    with pytest.raises(BuildError) as exc:
        load_manuscript(mini_copy, ROOT / "styles")
    assert [p.message for p in exc.value.problems] == [p.message for p in problems]


def test_a_translation_that_records_no_source_is_a_warning(mini_copy):
    path = mini_copy / "fr" / "back" / "01-about.md"
    text = path.read_text(encoding="utf-8")
    path.write_text("\n".join(line for line in text.split("\n") if not line.startswith("source_sha256:")),
                    encoding="utf-8")
    _, problems = french(mini_copy)
    assert problems == [warning(path, 2, "translation does not record its English source (expected "
                                         f"'source_sha256:'; run: pressroom sign-off {path.as_posix()})")]


@pytest.mark.parametrize("value", ["abc", "'" + "g" * 64 + "'", "12"])
def test_a_malformed_hash_is_an_error(mini_copy, value):
    path = mini_copy / "fr" / "back" / "01-about.md"
    edit(path, "source_sha256: 87a43e02f4462787e19363477eb0a3c1da2da4cac334ca230c84a007f3945c30",
         f"source_sha256: {value}")
    _, problems = french(mini_copy)
    assert problems == [error(path, 3, "source_sha256 must be 64 hexadecimal digits")]


def test_a_recommendation_translation_may_leave_out_title_and_summary(mini_copy):
    path = mini_copy / "fr" / "recommendations" / "PR-1.md"
    text = path.read_text(encoding="utf-8")
    path.write_text("\n".join(line for line in text.split("\n") if not line.startswith(("title:", "summary:"))),
                    encoding="utf-8")
    texts, problems = french(mini_copy)
    assert problems == []
    pr = texts.recommendations[2]
    assert (pr.id, pr.title, pr.summary) == ("PR-1", "Keep correspondents abroad",
                                            "Newsrooms keep correspondents in regions at risk.")
    assert pr.body.strip() == "Texte de la recommandation PR-1 ; voir [LM-1](#LM-1)."
    assert (pr.rubric, pr.country, pr.audiences) == ("knowledge", "both", ("press",))  # from the original


def test_a_section_translation_must_have_a_title(mini_copy):
    path = mini_copy / "fr" / "back" / "01-about.md"
    edit(path, 'title: "À propos"\n', "")
    texts, problems = french(mini_copy)
    assert problems == [error(path, 2, "missing 'title' in front matter (expected the translated title)")]


# sign_off

def test_sign_off_records_the_current_english_source(mini_copy):
    source = mini_copy / "chapters" / "01-first.md"
    translated = mini_copy / "fr" / "chapters" / "01-first.md"
    edit(source, "opens here", "begins here")
    before = translated.read_text(encoding="utf-8")
    digest = sign_off(mini_copy, translated)
    assert digest == sha(source)
    after = translated.read_text(encoding="utf-8")
    # only the source_sha256 line changed
    assert [a for a, b in zip(after.split("\n"), before.split("\n")) if a != b] == [f"source_sha256: {digest}"]
    assert len(after.split("\n")) == len(before.split("\n"))
    assert after.split("\n")[4] == f"source_sha256: {digest}"
    _, problems = french(mini_copy)
    assert problems == []


def test_sign_off_adds_the_hash_when_none_is_recorded(mini_copy):
    translated = mini_copy / "fr" / "recommendations" / "PR-1.md"
    text = translated.read_text(encoding="utf-8")
    translated.write_text("\n".join(line for line in text.split("\n") if not line.startswith("source_sha256:")),
                          encoding="utf-8")
    digest = sign_off(mini_copy, translated)
    assert digest == sha(mini_copy / "recommendations" / "PR-1.md")
    assert translated.read_text(encoding="utf-8").split("\n")[:3] == ["---", f"source_sha256: {digest}", "id: PR-1"]
    _, problems = french(mini_copy)
    assert problems == []


def test_sign_off_twice_changes_nothing_more(mini_copy):
    translated = mini_copy / "fr" / "briefs" / "lawmakers.md"
    before = translated.read_bytes()
    assert sign_off(mini_copy, translated) == sha(mini_copy / "briefs" / "lawmakers.md")
    assert translated.read_bytes() == before  # it was signed off already
    sign_off(mini_copy, translated)
    assert translated.read_bytes() == before


def test_sign_off_takes_paths_relative_to_the_working_directory(mini_copy, monkeypatch):
    edit(mini_copy / "back" / "01-about.md", "small reports", "short reports")
    monkeypatch.chdir(mini_copy.parent)
    digest = sign_off(Path(mini_copy.name), Path(mini_copy.name) / "fr" / "back" / "01-about.md")
    assert digest == sha(mini_copy / "back" / "01-about.md")
    assert f"source_sha256: {digest}\n" in (mini_copy / "fr" / "back" / "01-about.md").read_text(encoding="utf-8")


def test_sign_off_refuses_an_english_file(mini_copy):
    path = mini_copy / "chapters" / "01-first.md"
    before = path.read_bytes()
    with pytest.raises(BuildError) as exc:
        sign_off(mini_copy, path)
    assert [p.message for p in exc.value.problems] == [
        "not a translation (expected a file under manuscript/<lang>/)"]
    assert path.read_bytes() == before


def test_sign_off_refuses_a_translation_without_an_english_source(mini_copy):
    path = mini_copy / "fr" / "chapters" / "03-extra.md"
    path.write_text("---\ntitle: En plus\n---\nTexte.\n", encoding="utf-8")
    with pytest.raises(BuildError) as exc:
        sign_off(mini_copy, path)
    assert [p.message for p in exc.value.problems] == [
        f"no English source at {(mini_copy / 'chapters' / '03-extra.md').resolve()} to sign off against"]
    assert path.read_text(encoding="utf-8") == "---\ntitle: En plus\n---\nTexte.\n"
