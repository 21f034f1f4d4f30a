"""What an edition holds (pressroom.load.editions), without a build: on the fixture manuscript and on
small hand-made records."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from pressroom.load.editions import editions_to_build, matches, select_edition, select_recommendations, takes
from pressroom.load.manuscript import load_manuscript
from pressroom.model import EditionSpec, Recommendation

from conftest import FIXTURES, ROOT

MINI_SECTIONS = ("front/01-preface.md", "chapters/01-first.md", "chapters/02-second.md", "back/01-about.md",
                 "briefs/back-page.md", "briefs/lawmakers.md", "briefs/press.md")


@pytest.fixture(scope="module")
def mini():
    return load_manuscript(FIXTURES / "mini", ROOT / "styles")


def spec(**kw) -> EditionSpec:
    base = dict(id="test", kind="brief", audience="lawmakers", languages=("en",),
                contents=("recommendations",), recommendations="audience", stylesheet="brief.css",
                page_budget=4, web=False)
    return EditionSpec(**{**base, **kw})


def rec(rid: str, audiences: tuple[str, ...]) -> Recommendation:
    return Recommendation(id=rid, title=f"Title of {rid}", rubric="leadership", country="both",
                          audiences=audiences, summary="", body="Text.", path=Path(f"recommendations/{rid}.md"),
                          body_line=8)


# matches

@pytest.mark.parametrize("rel, pattern, expected", [
    ("chapters/02-rwanda.md", "chapters/02-rwanda.md", True),   # a path names itself
    ("chapters/02-rwanda.md", "chapters/*.md", True),           # a pattern
    ("chapters/02-rwanda.md", "chapters/0[12]-*.md", True),
    ("chapters/02-rwanda.md", "chapters/01-*.md", False),
    ("chapters/02-rwanda.md", "front/*.md", False),             # another folder
    ("chapters/02-rwanda.md", "chapters/02-rwanda", False),     # not a prefix match
    ("chapters/02-rwanda.md", "chapters/*.txt", False),
    ("chapters/02-rwanda.md", "", False),                       # empty: matches nothing, no exception
    ("briefs/back-page.md", "briefs/*.md", True),
])
def test_matches_a_path_or_a_pattern(rel, pattern, expected):
    assert matches(rel, pattern) is expected


# takes and select_recommendations

def test_takes_follows_the_filter():
    lm, pr, both = rec("LM-1", ("lawmakers",)), rec("PR-1", ("press",)), rec("CS-1", ("lawmakers", "press"))
    audience = spec(recommendations="audience", audience="lawmakers")
    assert [takes(audience, r) for r in (lm, pr, both)] == [True, False, True]
    everything = spec(recommendations="all", audience=None, kind="report")
    assert [takes(everything, r) for r in (lm, pr, both)] == [True, True, True]
    nothing = spec(recommendations="none")
    assert [takes(nothing, r) for r in (lm, pr, both)] == [False, False, False]
    listed = spec(recommendations=("PR-1", "CS-1"))
    assert [takes(listed, r) for r in (lm, pr, both)] == [False, True, True]


def test_takes_nothing_when_the_contents_do_not_list_recommendations():
    r = rec("LM-1", ("lawmakers",))
    for flt in ("all", "audience", ("LM-1",)):
        assert takes(spec(recommendations=flt, contents=("briefs/lawmakers.md",)), r) is False
        assert takes(spec(recommendations=flt, contents=("briefs/lawmakers.md", "recommendations")), r) is True


def test_takes_an_unknown_filter_word_as_nothing():
    assert takes(spec(recommendations="every"), rec("LM-1", ("lawmakers",))) is False


def test_select_recommendations_keeps_appendix_order(mini):
    texts = mini.texts["en"]
    assert [r.id for r in texts.recommendations] == ["LM-1", "LM-2", "PR-1"]
    # listed in another order: still in the appendix's
    assert [r.id for r in select_recommendations(spec(recommendations=("PR-1", "LM-1")), texts)] == ["LM-1", "PR-1"]
    assert [r.id for r in select_recommendations(spec(audience="press"), texts)] == ["PR-1"]
    assert [r.id for r in select_recommendations(spec(audience="lawmakers"), texts)] == ["LM-1", "LM-2"]
    assert select_recommendations(spec(recommendations="none"), texts) == ()
    # the very records of the texts, not copies
    assert select_recommendations(spec(recommendations="all"), texts) == texts.recommendations


# select_edition

def test_the_report_takes_its_contents_in_order_and_leaves_out_the_brief_texts(mini):
    e = select_edition(mini, mini.edition("report"), "en")
    assert [s.rel for s in e.sections] == ["front/01-preface.md", "chapters/01-first.md", "chapters/02-second.md",
                                           "back/01-about.md"]
    assert [r.id for r in e.recommendations] == ["LM-1", "LM-2", "PR-1"]
    assert e.left_out_sections == ("briefs/back-page.md", "briefs/lawmakers.md", "briefs/press.md")
    assert e.left_out_recommendations == ()
    assert e.include_recommendations_appendix is True
    assert e.id == "report" and e.language == "en" and e.audience is None
    assert e.publication is mini.texts["en"].publication


def test_a_brief_takes_its_sections_in_the_order_of_its_contents_not_of_the_manuscript(mini):
    e = select_edition(mini, mini.edition("lawmakers"), "en")
    # the back page comes before the lawmakers' text in the manuscript, after it in the contents
    assert [s.rel for s in e.sections] == ["briefs/lawmakers.md", "briefs/back-page.md"]
    assert [r.id for r in e.recommendations] == ["LM-1", "LM-2"]
    assert e.left_out_sections == ("front/01-preface.md", "chapters/01-first.md", "chapters/02-second.md",
                                   "back/01-about.md", "briefs/press.md")
    assert e.left_out_recommendations == ("PR-1",)
    assert e.include_recommendations_appendix is True
    assert e.id == "lawmakers" and e.audience == "lawmakers"


def test_a_translated_edition_takes_the_translated_texts_and_is_named_by_its_language(mini):
    e = select_edition(mini, mini.edition("lawmakers"), "fr")
    assert e.id == "lawmakers.fr" and e.language == "fr"
    assert [s.title for s in e.sections] == ["Note d'information à l'intention des membres de l'Assemblée",
                                             "À propos de l'Institut"]
    assert [r.title for r in e.recommendations] == ["Recommandation LM-1 en français",
                                                    "Recommandation LM-2 en français"]
    assert e.publication is mini.texts["fr"].publication


def test_a_glob_over_brief_texts_keeps_only_those_of_the_edition_s_audience(mini):
    e = select_edition(mini, spec(audience="press", contents=("briefs/*.md",)), "en")
    assert [s.rel for s in e.sections] == ["briefs/back-page.md", "briefs/press.md"]
    assert "briefs/lawmakers.md" in e.left_out_sections
    # an edition with no audience takes only the brief texts addressed to nobody
    report = select_edition(mini, spec(kind="report", audience=None, recommendations="all",
                                       contents=("briefs/*.md",)), "en")
    assert [s.rel for s in report.sections] == ["briefs/back-page.md"]


def test_a_section_named_twice_is_taken_once_where_first_named(mini):
    e = select_edition(mini, spec(kind="report", audience=None, recommendations="all",
                                  contents=("chapters/02-second.md", "chapters/*.md", "chapters/02-second.md")), "en")
    assert [s.rel for s in e.sections] == ["chapters/02-second.md", "chapters/01-first.md"]
    assert e.left_out_sections == ("front/01-preface.md", "back/01-about.md", "briefs/back-page.md",
                                   "briefs/lawmakers.md", "briefs/press.md")


def test_without_recommendations_in_the_contents_there_is_no_block_and_every_recommendation_is_left_out(mini):
    e = select_edition(mini, spec(kind="report", audience=None, recommendations="all",
                                  contents=("chapters/*.md",)), "en")
    assert e.recommendations == ()
    assert e.left_out_recommendations == ("LM-1", "LM-2", "PR-1")
    assert e.include_recommendations_appendix is False
    assert [s.rel for s in e.sections] == ["chapters/01-first.md", "chapters/02-second.md"]


def test_included_and_left_out_make_up_the_manuscript(mini):
    for s in mini.editions:
        for lang in s.languages:
            e = select_edition(mini, s, lang)
            assert sorted([x.rel for x in e.sections] + list(e.left_out_sections)) == sorted(MINI_SECTIONS)
            assert sorted([r.id for r in e.recommendations] + list(e.left_out_recommendations)) == \
                ["LM-1", "LM-2", "PR-1"]


# editions_to_build

def ids(editions) -> list[str]:
    return [e.id for e in editions]


def test_every_edition_in_every_language_reports_first(mini):
    assert ids(editions_to_build(mini)) == ["report", "report.fr", "lawmakers", "lawmakers.fr", "press"]


def test_reports_come_first_whatever_the_order_of_the_declarations(mini):
    reordered = replace(mini, editions=tuple(reversed(mini.editions)))
    # briefs keep their declared order among themselves
    assert ids(editions_to_build(reordered)) == ["report", "report.fr", "press", "lawmakers", "lawmakers.fr"]


def test_only_a_report_builds_that_report(mini):
    assert ids(editions_to_build(mini, only="report")) == ["report", "report.fr"]


def test_only_a_brief_brings_the_report_it_cites(mini):
    assert ids(editions_to_build(mini, only="lawmakers")) == ["report", "report.fr", "lawmakers", "lawmakers.fr"]
    assert ids(editions_to_build(mini, only="press", languages=("en",))) == ["report", "press"]


def test_only_an_unknown_edition_builds_nothing(mini):
    assert editions_to_build(mini, only="nobody") == []


def test_languages_filter_every_edition(mini):
    assert ids(editions_to_build(mini, languages=("fr",))) == ["report.fr", "lawmakers.fr"]
    assert ids(editions_to_build(mini, languages=("en",))) == ["report", "lawmakers", "press"]
    assert ids(editions_to_build(mini, only="lawmakers", languages=("fr",))) == ["report.fr", "lawmakers.fr"]


def test_a_language_not_loaded_is_not_built():
    english_only = load_manuscript(FIXTURES / "mini", ROOT / "styles", languages=("en",))
    assert set(english_only.texts) == {"en"}
    assert ids(editions_to_build(english_only)) == ["report", "lawmakers", "press"]


def test_editions_to_build_selects_as_select_edition_does(mini):
    for e in editions_to_build(mini):
        assert e == select_edition(mini, e.spec, e.language)


# `--edition` naming a brief brings its report in the brief's languages only (README: "build one
# edition (and the report whose page numbers it cites)").
def test_only_a_brief_brings_its_report_in_the_brief_s_languages_only():
    m = load_manuscript(FIXTURES / "mini", ROOT / "styles")
    # press is declared in English only: the French report cites nothing for it
    assert [e.id for e in editions_to_build(m, only="press")] == ["report", "press"]
    assert editions_to_build(m, only="press", languages=("fr",)) == []
