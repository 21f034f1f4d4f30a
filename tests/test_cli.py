"""The command line: defaults, usage errors, the Pango hint, list."""

from __future__ import annotations

import shutil

import pytest

from conftest import FIXTURES, run_cli
import pressroom.pdf.layout


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        run_cli("build", "--no-such-option")
    assert exc.value.code == 2
    assert "unrecognized arguments: --no-such-option" in capsys.readouterr().err


def test_missing_pango_is_explained_with_the_command_to_run(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(pressroom.pdf.layout, "pango_available", lambda: False)
    assert run_cli("--manuscript", FIXTURES / "minimal", "--out", tmp_path / "dist") == 1
    err = capsys.readouterr().err
    assert "WeasyPrint needs the Pango library, which is not installed." in err
    assert "sudo apt-get install -y libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0" in err
    assert not (tmp_path / "dist").exists()


def test_list_prints_editions_with_audience_languages_and_budget(capsys):
    assert run_cli("list", "--manuscript", FIXTURES / "mini") == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if "lawmakers" in line or "press" in line or "report" in line]
    assert any("report" in r and "all readers" in r and "en, fr" in r and "none" in r for r in rows)
    assert any("lawmakers" in r and "en, fr" in r and "4" in r for r in rows)
    assert any("press" in r and "en" in r and "fr" not in r for r in rows)


def test_a_minimal_manuscript_builds_on_a4(tmp_path):
    manuscript = tmp_path / "m"
    shutil.copytree(FIXTURES / "minimal", manuscript)
    (manuscript / "publication.yml").write_text("title: Minimal\nlanguage: en\npage_size: a4\n")
    assert run_cli("--manuscript", manuscript, "--out", tmp_path / "dist", "--quiet") == 0
    from pypdf import PdfReader
    r = PdfReader(str(tmp_path / "dist" / "en" / "report.pdf"))
    assert round(float(r.pages[0].mediabox.width) / 72 * 25.4) == 210
    assert round(float(r.pages[0].mediabox.height) / 72 * 25.4) == 297
    assert "The only chapter" in " ".join(p.extract_text() for p in r.pages)


def test_inclusion_report_says_what_went_in_and_what_was_left_out(mini_build):
    import json
    inclusion = json.loads((mini_build / "inclusion.json").read_text())
    press = next(e for e in inclusion if e["edition"] == "press" and e["language"] == "en")
    assert press["recommendations"] == ["PR-1"]
    assert press["recommendations_left_out"] == ["LM-1", "LM-2"]
    assert press["sections"] == ["briefs/press.md", "briefs/back-page.md"]
    assert "chapters/01-first.md" in press["sections_left_out"]
