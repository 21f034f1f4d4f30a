"""First run: the project file (pressroom.yml), `pressroom new`, `--version`, the packaged theme, and
the command line's exit codes and messages on inputs that once crashed it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, run_cli
from pressroom import __version__
from pressroom.errors import LONGEST_MESSAGE, Problem, SourceLocation, shorten
from pressroom.load.project import default_theme, find_project_file, load_project

PRESSROOM = [sys.executable, "-c", "from pressroom.cli import run; run()"]


def pressroom(*args, cwd: Path) -> subprocess.CompletedProcess:
    """The installed command, as a user runs it, in `cwd`."""
    return subprocess.run([*PRESSROOM, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        run_cli("--version")
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"pressroom {__version__}"


def test_the_default_theme_is_package_data():
    theme = default_theme()
    assert (theme / "print.css").is_file() and (theme / "templates" / "report.html.j2").is_file()
    assert theme.resolve() == (ROOT / "styles").resolve()  # the editable install maps styles/ there


def test_new_makes_a_book_that_builds_from_any_subfolder(tmp_path):
    book = tmp_path / "my-book"
    made = pressroom("new", book, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert (book / "pressroom.yml").is_file() and (book / "manuscript" / "publication.yml").is_file()
    assert "title: My book" in (book / "manuscript" / "publication.yml").read_text()
    done = pressroom("--quiet", cwd=book / "manuscript" / "chapters")  # found by walking up
    assert done.returncode == 0, done.stderr
    manifest = json.loads((book / "dist" / "manifest.json").read_text())
    assert {e["path"] for e in manifest["outputs"]} == {"en/report.pdf", "en/report.html"}
    again = pressroom("new", book, cwd=tmp_path)
    assert again.returncode == 1
    assert "already exists and is not an empty folder" in again.stderr


def test_new_with_a_copy_of_the_theme_uses_it(tmp_path):
    book = tmp_path / "b"
    assert run_cli("new", book, "--theme", "--title", "Field guide: a test", "--quiet") == 0
    assert (book / "theme" / "print.css").is_file() and not (book / "theme" / "__init__.py").exists()
    assert "theme: theme" in (book / "pressroom.yml").read_text()
    assert 'title: "Field guide: a test"' in (book / "manuscript" / "publication.yml").read_text()
    # The project's theme, not the packaged one, is what the book is made with.
    css = book / "theme" / "screen.css"
    css.write_text(css.read_text() + "\n/* the book's own */\n")
    done = pressroom("--quiet", cwd=book)
    assert done.returncode == 0, done.stderr
    assert (book / "dist" / "web.css").read_text().endswith("/* the book's own */\n")


def test_the_project_file_is_found_above_and_its_paths_are_relative_to_it(tmp_path, monkeypatch):
    (tmp_path / "pressroom.yml").write_text("manuscript: text\nout: build/out\n")
    (tmp_path / "text").mkdir()
    (tmp_path / "a" / "b").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "a" / "b")
    found = find_project_file()
    assert found == tmp_path / "pressroom.yml"
    project = load_project(found)
    assert project.manuscript.resolve() == tmp_path / "text"
    assert project.out.resolve() == tmp_path / "build" / "out"
    assert project.theme == default_theme()
    # Flags win over the file.
    assert load_project(found, out=Path("elsewhere")).out == Path("elsewhere")


def test_unknown_keys_and_bad_values_in_the_project_file_are_located(tmp_path, monkeypatch, capsys):
    (tmp_path / "pressroom.yml").write_text("manuscript: manuscript\nstyles: css\nout: [a, b]\nthem: x\n")
    monkeypatch.chdir(tmp_path)
    assert run_cli("check") == 1
    err = capsys.readouterr().err
    assert "pressroom.yml:1: manuscript folder 'manuscript' not found" in err
    assert "pressroom.yml:2: unknown key 'styles' in pressroom.yml (did you mean 'theme'?) " \
           "(expected one of: manuscript, out, theme)" in err
    assert "pressroom.yml:3: 'out' must be a folder (got a list [a, b]" in err
    assert "pressroom.yml:4: unknown key 'them' in pressroom.yml (did you mean 'theme'?)" in err
    assert "Traceback" not in err


def test_a_theme_folder_without_the_theme_files_is_refused(tmp_path, monkeypatch, capsys):
    shutil.copytree(FIXTURES / "minimal", tmp_path / "manuscript")
    (tmp_path / "mytheme").mkdir()
    (tmp_path / "mytheme" / "print.css").write_text("")
    (tmp_path / "pressroom.yml").write_text("theme: mytheme\n")
    monkeypatch.chdir(tmp_path)
    assert run_cli("--quiet") == 1
    err = capsys.readouterr().err
    assert "pressroom.yml:1: theme 'mytheme' lacks base.css, brief.css, screen.css" in err
    assert not (tmp_path / "dist").exists()


def test_a_chapter_path_that_is_a_folder_is_a_located_error(mini_copy, tmp_path, capsys):
    (mini_copy / "chapters" / "09-notes.md").mkdir()
    assert run_cli("--manuscript", mini_copy, "--out", tmp_path / "dist", "--quiet") == 1
    err = capsys.readouterr().err
    assert "chapters/09-notes.md: is a folder, not a file (expected a text file" in err
    assert "internal error" not in err
    assert run_cli("check", "--manuscript", mini_copy) == 1
    assert "chapters/09-notes.md: error: is a folder, not a file" in capsys.readouterr().out


def test_an_internal_error_exits_1_not_3(monkeypatch, capsys, tmp_path):
    import pressroom.cli

    def broken(args):
        raise ZeroDivisionError("x" * 100_000)

    monkeypatch.setitem(pressroom.cli.COMMANDS, "list", broken)
    assert run_cli("list", "--manuscript", FIXTURES / "mini") == 1
    err = capsys.readouterr().err
    assert err.startswith("internal error: ZeroDivisionError: xxx")
    assert len(err) < 600


def test_a_huge_data_uri_is_not_printed_whole(mini_copy, tmp_path, capsys):
    uri = "data:image/png;base64," + "iVBORw0KGgo" * 600_000  # 6.6 MB, not a PNG
    chapter = mini_copy / "chapters" / "01-first.md"
    chapter.write_text(chapter.read_text() + f'\n<link rel="attachment" href="file:///etc/hostname" title="{uri}">\n'
                                             f"\n![A broken picture]({uri}x)\n")
    assert run_cli("--manuscript", mini_copy, "--out", tmp_path / "dist", "--quiet") == 1
    err = capsys.readouterr().err
    assert "01-first.md:" in err
    assert len(err) < 4000
    assert max(len(line) for line in err.splitlines()) <= LONGEST_MESSAGE + 200


def test_shorten_keeps_short_messages_and_cuts_long_runs():
    assert shorten("unknown key 'x'") == "unknown key 'x'"
    long = "refused to load 'https://example.org/" + "a" * 10_000 + "' (only files)"
    cut = Problem(SourceLocation("a.md", 3), long).message
    assert len(cut) < 300
    assert cut.startswith("refused to load 'https://example.org/aaa") and cut.endswith("' (only files)")
    assert "characters left out" in cut
    many = " ".join(["word"] * 5000)
    assert len(shorten(many)) <= LONGEST_MESSAGE


def test_the_search_stops_at_a_project_without_a_project_file(tmp_path, monkeypatch):
    (tmp_path / "pressroom.yml").write_text("out: far-away\n")
    inner = tmp_path / "copies" / "book"
    (inner / "manuscript").mkdir(parents=True)
    (inner / "manuscript" / "publication.yml").write_text("title: T\nlanguage: en\n")
    assert find_project_file(inner / "manuscript") is None  # not the outer project's settings
    assert find_project_file(inner) is None
    assert find_project_file(tmp_path / "copies") == tmp_path / "pressroom.yml"
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    assert find_project_file(tmp_path / "repo") is None


def test_a_stylesheet_the_theme_does_not_have_is_located(mini_copy, tmp_path, capsys):
    editions = mini_copy / "editions.yml"
    editions.write_text(editions.read_text().replace("  - id: press\n", "  - id: press\n    stylesheet: custom.css\n"))
    assert run_cli("--manuscript", mini_copy, "--out", tmp_path / "dist", "--quiet", "--edition", "press") == 1
    err = capsys.readouterr().err
    assert "editions.yml:10: edition 'press' uses the stylesheet 'custom.css', which the theme (styles) does " \
           "not have" in err
    assert "internal error" not in err
    # A theme of the project's own that has it is used when given with --theme.
    theme = tmp_path / "theme"
    shutil.copytree(default_theme(), theme, ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
    (theme / "custom.css").write_text((theme / "brief.css").read_text())
    assert run_cli("--manuscript", mini_copy, "--out", tmp_path / "dist", "--quiet", "--edition", "press",
                   "--language", "en", "--theme", theme) == 0
