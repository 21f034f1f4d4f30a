"""The report cut into parts, their page numbers, and which parts wait for the others (pressroom.pdf.parts)."""

import pytest

from pressroom.errors import BuildError
from pressroom.render.html import page_placeholder, part_break
from pressroom.pdf.parts import LaidPart, Part, fill_page_numbers, numbered_by_others, page_labels, split_report


def page(*pieces: str) -> str:
    return '<html><head><title>t</title></head><body class="report">' + "".join(pieces) + "</body></html>"


def laid(name: str, count: int, **anchors: int) -> LaidPart:
    return LaidPart(name, "key", "unit", 0, count, {name: 0, **anchors}, (True,) * count)


def test_the_report_is_cut_into_front_and_body_parts_at_the_template_marks():
    html = page('<section id="cover">C</section>',
                part_break("contents", front=True), f'<nav id="contents"><a href="#one">{page_placeholder("one")}</a></nav>',
                part_break("preface", front=True), '<section id="preface">P <a href="#preface">self</a></section>',
                part_break("one"), '<section id="one">1</section>',
                part_break("two"), '<section id="two">2</section>')
    parts = split_report(html)
    assert [p.name for p in parts.front] == ["cover", "contents", "preface"]
    assert [p.name for p in parts.body] == ["one", "two"]
    assert parts.head.endswith('<body class="report">')
    contents = parts.front[1]
    assert 'href="pressroom-anchor:one"' in contents.html  # laid out alone, it cannot resolve it
    assert 'href="#preface"' in parts.front[2].html  # an anchor of its own part stays local
    assert [numbered_by_others(p) for p in parts.parts] == [False, True, False, False, False]


def test_page_labels_are_roman_in_the_front_and_arabic_in_the_body_each_part_on_a_right_hand_page():
    front = [("cover", laid("cover", 3)), ("contents", laid("contents", 1)), ("preface", laid("preface", 2, note=1))]
    body = [("one", laid("one", 5, deep=4)), ("two", laid("two", 2))]
    labels = page_labels(front, body)
    # cover i-iii, blank iv, contents v, blank vi, preface vii-viii; one 1-5, blank 6, two 7-8
    assert labels == {"cover": "i", "contents": "v", "preface": "vii", "note": "viii",
                      "one": "1", "deep": "5", "two": "7"}


def test_a_part_not_laid_out_yet_counts_as_one_page_with_its_opening_anchor():
    labels = page_labels([("cover", laid("cover", 1)), ("contents", None), ("summary", None)], [])
    assert labels == {"cover": "i", "contents": "iii", "summary": "v"}


def test_page_numbers_are_filled_in_and_a_missing_one_is_an_error_once_everything_is_laid_out():
    part = Part("contents", f"<a>{page_placeholder('one')}</a><a>{page_placeholder('later')}</a>")
    assert fill_page_numbers(part, {"one": "1", "later": "9"}, "s").html == "<a>1</a><a>9</a>"
    assert fill_page_numbers(part, {"one": "1"}, "s", provisional=True).html == "<a>1</a><a></a>"
    with pytest.raises(BuildError) as exc:
        fill_page_numbers(part, {"one": "1"}, "report.html.j2")
    assert [str(p) for p in exc.value.problems] == [
        "report.html.j2: no page number for 'later' (the contents or the summary of recommendations refer to it)"]
