"""`check` refuses what the build refuses: for every broken manuscript, each error the build reports
is reported by `check` too, at the same `path:line`, with the same message."""

from __future__ import annotations

import re

import pytest

from conftest import run_cli
from test_errors import CASES, prepare

# What only a laid-out page or the command line can tell: check cannot see it without rendering.
RENDER_ONLY = {"brief-over-budget"}
COMMAND_LINE = {"cli-edition-not-in-language", "cli-unknown-language", "unknown-edition-cli", "manuscript-missing"}
AGREEING = [c for c in CASES if c.name not in RENDER_ONLY | COMMAND_LINE]


def errors(text: str, strict: bool = False) -> set[str]:
    """The located errors of an output (`path:line: message`), without severity words or summary;
    with `strict`, warnings count as errors (as they do for --strict)."""
    out = set()
    for line in text.splitlines():
        if not re.match(r"^\S+?(:\d+)?( \(edition '[^']*'\))?: ", line) or line.startswith("build failed"):
            continue
        if ": warning: " in line and not strict:
            continue
        out.add(line.replace(": error: ", ": ", 1).replace(": warning: ", ": ", 1))
    return out


@pytest.mark.parametrize("case", AGREEING, ids=[c.name for c in AGREEING])
def test_check_reports_every_error_the_build_reports(case, tmp_path, capsys, monkeypatch):
    manuscript, args = prepare(case, tmp_path)
    monkeypatch.chdir(tmp_path)
    rel = manuscript.relative_to(tmp_path)
    run_cli(args[0], "--manuscript", rel, "--out", "dist", "--quiet", *args[1:])
    built = errors(capsys.readouterr().err)
    strict = ["--strict"] if "--strict" in args else []
    run_cli("check", "--manuscript", rel, *strict)
    captured = capsys.readouterr()
    checked = errors(captured.out + captured.err, bool(strict))
    assert built, "the case makes the build fail"
    assert built <= checked, f"build only: {sorted(built - checked)}"
    assert not any(re.search(r"editions\.yml:1\b|internal error", e) for e in built), sorted(built)
