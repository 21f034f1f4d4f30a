"""Faults: a build killed at any moment, a full disk, an output folder that cannot be written."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, run_cli


def consistent(out: Path) -> str:
    """'old' or 'new' if the manifest matches the files on disk and no stray file is left, else fail."""
    manifest = json.loads((out / "manifest.json").read_text())
    for e in manifest["outputs"]:
        data = (out / e["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == e["sha256"], e["path"]
    stray = [p for p in out.rglob("*") if p.is_file() and ".cache" not in p.parts
             and p.relative_to(out).as_posix() not in {e["path"] for e in manifest["outputs"]}
             and p.name not in ("manifest.json", "inclusion.json", "web.css") and "fonts" not in p.parts]
    assert stray == []
    return "new" if "KILL-TEST-EDIT" in (out / "en/report.html").read_text() else "old"


@pytest.mark.parametrize("delay", [0.3, 1.0, 2.0, 3.0, 4.5])
def test_a_build_killed_at_any_moment_leaves_old_or_new_complete_outputs(tmp_path, delay):
    manuscript = tmp_path / "manuscript"
    import shutil
    shutil.copytree(FIXTURES / "mini", manuscript)
    out = tmp_path / "dist"
    assert run_cli("build", "--manuscript", manuscript, "--out", out, "--quiet", "--language", "en") == 0
    assert consistent(out) == "old"
    chapter = manuscript / "chapters" / "01-first.md"
    chapter.write_text(chapter.read_text().replace("The first chapter opens here", "KILL-TEST-EDIT"))
    # Killed outright, a build cannot remove its temporary font folder: keep it in the test's folder.
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, str(ROOT / "build.py"), "--manuscript", str(manuscript), "--out",
                             str(out), "--quiet", "--language", "en", "--no-cache"], start_new_session=True, env=env)
    time.sleep(delay)
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)  # the build and its render workers
    proc.wait()
    state = consistent(out)
    # The next command finishes an interrupted commit, or leaves the old outputs: never a mix.
    assert run_cli("build", "--manuscript", manuscript, "--out", out, "--quiet", "--language", "en") == 0
    assert consistent(out) == "new"
    assert state in ("old", "new")


def test_a_full_disk_gives_a_clear_message(tmp_path, capsys, monkeypatch):
    import pressroom.build.output as output

    def full(path, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
    monkeypatch.setattr(output, "atomic_write", full)
    monkeypatch.chdir(tmp_path)
    code = run_cli("build", "--manuscript", FIXTURES / "mini", "--out", "dist", "--quiet", "--language", "en")
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("dist: cannot write the output: No space left on device (")
    assert "check free space and permissions)" in err
    assert "Traceback" not in err


def test_an_output_folder_that_is_a_file_gives_a_clear_message(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("dist").write_text("not a folder")
    code = run_cli("build", "--manuscript", FIXTURES / "mini", "--out", "dist", "--quiet", "--language", "en")
    err = capsys.readouterr().err
    assert code == 1
    assert err.splitlines()[0] == "dist: cannot write the output: it is a file (expected a folder, or a path where one can be made)"
