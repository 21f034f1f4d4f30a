"""`pressroom check`: validation without rendering, `path:line: severity: message`, sorted."""

from __future__ import annotations

from conftest import FIXTURES, ROOT, run_cli


def test_check_lists_warnings_sorted_and_exits_0(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert run_cli("check", "--manuscript", "tests/fixtures/mini") == 0
    out = capsys.readouterr()
    assert out.out.splitlines() == [
        "tests/fixtures/mini/recommendations/LM-2.md:1: warning: recommendation LM-2 is referenced nowhere "
        "in the text (expected a link such as [LM-2](#LM-2) where it is argued)",
        "tests/fixtures/mini/recommendations/PR-1.md:1: warning: recommendation PR-1 is referenced nowhere "
        "in the text (expected a link such as [PR-1](#PR-1) where it is argued)",
    ]
    assert out.err.strip() == "0 errors, 2 warnings"


def test_strict_check_fails_on_warnings(capsys):
    assert run_cli("check", "--manuscript", FIXTURES / "mini", "--strict") == 1


def test_check_reports_links_an_edition_leaves_out(mini_copy, capsys, monkeypatch):
    brief = mini_copy / "briefs" / "press.md"
    brief.write_text(brief.read_text() + "\nAs [LM-1](#LM-1) asks of the Assembly.\n")
    monkeypatch.chdir(mini_copy.parent)
    assert run_cli("check", "--manuscript", "manuscript") == 0
    lines = capsys.readouterr().out.splitlines()
    assert ("manuscript/briefs/press.md:14: warning: link to LM-1, which edition 'press' leaves out "
            "(it is shown there as plain text)") in lines


def test_check_reports_errors_and_exits_1(mini_copy, capsys, monkeypatch):
    (mini_copy / "chapters" / "01-first.md").write_text("---\ntitle: X\n---\n\n::: audience lawmaker\nx\n:::\n")
    monkeypatch.chdir(mini_copy.parent)
    assert run_cli("check", "--manuscript", "manuscript") == 1
    out = capsys.readouterr().out
    assert ("manuscript/chapters/01-first.md:5: error: unknown audience 'lawmaker' (did you mean 'lawmakers'?) "
            "(expected one of: lawmakers, press)") in out.splitlines()


def test_the_real_manuscript_checks_clean(capsys):
    assert run_cli("check", "--manuscript", ROOT / "manuscript", "--strict") == 0
