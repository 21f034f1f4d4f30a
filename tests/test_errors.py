"""Broken manuscripts: each case gives its exact located messages, exit 1, no traceback, dist/ untouched.

A case is a folder under tests/broken/: files in it are laid over a copy of tests/fixtures/mini
(`remove.txt` lists files to delete first, `args.txt` the command line after the manuscript and
output options, default `build --language en`; `setup.py` runs with MANUSCRIPT bound;
`manuscript.txt` names the folder, relative to the case's working directory, given to `--manuscript`
instead of the copy, for cases about a manuscript folder that is not there), and `expected.txt`
holds the exact standard error, with paths relative to the working directory (the copy is `manuscript/`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli

CASES = sorted(p for p in (Path(__file__).parent / "broken").iterdir() if p.is_dir())


def prepare(case: Path, tmp: Path) -> tuple[Path, list[str]]:
    """Lay the case over a copy of the fixture; return the manuscript folder and extra arguments."""
    manuscript = tmp / "manuscript"
    shutil.copytree(FIXTURES / "mini", manuscript)
    remove = case / "remove.txt"
    if remove.exists():
        for rel in remove.read_text().split():
            target = manuscript / rel
            shutil.rmtree(target) if target.is_dir() else target.unlink()
    for src in sorted(case.rglob("*")):
        rel = src.relative_to(case)
        if src.is_file() and rel.name not in ("expected.txt", "remove.txt", "args.txt", "setup.py", "manuscript.txt"):
            dest = manuscript / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(src.read_bytes())
    if (case / "setup.py").exists():  # cases that need bytes or links a text file cannot hold
        namespace = {"MANUSCRIPT": manuscript}
        exec((case / "setup.py").read_text(), namespace)
    args = (case / "args.txt").read_text().split() if (case / "args.txt").exists() else ["build", "--language", "en"]
    if (case / "manuscript.txt").exists():
        manuscript = tmp / (case / "manuscript.txt").read_text().strip()
    return manuscript, args


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_broken_manuscript_gives_its_exact_message(case, tmp_path, capsys, monkeypatch):
    manuscript, args = prepare(case, tmp_path)
    out = tmp_path / "dist"
    out.mkdir()
    (out / "previous.pdf").write_bytes(b"%PDF-previous")
    monkeypatch.chdir(tmp_path)
    code = run_cli(args[0], "--manuscript", manuscript.relative_to(tmp_path), "--out", "dist", "--quiet", *args[1:])
    err = capsys.readouterr().err
    expected = (case / "expected.txt").read_text()
    assert err.replace(str(tmp_path) + "/", "") == expected
    assert code == 1
    assert "Traceback" not in err
    assert sorted(p.name for p in out.iterdir() if p.name != ".cache") == ["previous.pdf"]
    assert (out / "previous.pdf").read_bytes() == b"%PDF-previous"
