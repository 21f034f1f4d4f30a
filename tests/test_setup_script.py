"""scripts/setup.sh: installs what is missing when it can, and says exactly what to run when it
cannot (here: a machine without the libraries, not root, and no password-less sudo)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from conftest import ROOT


def stub(folder: Path, name: str, script: str) -> None:
    path = folder / name
    path.write_text("#!/bin/sh\n" + script + "\n")
    path.chmod(0o755)


def test_without_root_it_prints_the_command_to_run(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stub(bin_dir, "ldconfig", "exit 0")        # no library found
    stub(bin_dir, "id", 'echo 1000')             # not root
    stub(bin_dir, "sudo", "exit 1")              # sudo asks for a password
    stub(bin_dir, "apt-get", "echo apt-get must not run >&2; exit 9")
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "PRESSROOM_CHROMIUM": ""}
    done = subprocess.run(["bash", str(ROOT / "scripts" / "setup.sh"), "--test"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "apt-get must not run" not in done.stderr
    assert "missing system packages: libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0" in done.stderr
    assert ("sudo sh -c 'apt-get update && apt-get install -y --no-install-recommends libpango-1.0-0 "
            "libpangoft2-1.0-0 libharfbuzz-subset0") in done.stderr
    assert not (ROOT / "scripts" / ".venv").exists()


def test_as_root_it_installs_with_apt_get(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "apt.log"
    stub(bin_dir, "ldconfig", "exit 0")
    stub(bin_dir, "id", "echo 0")
    stub(bin_dir, "apt-get", f'echo "$@" >> {log}; exit 1')  # records, then fails: the script stops there
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    done = subprocess.run(["bash", str(ROOT / "scripts" / "setup.sh")], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert log.read_text().splitlines()[0] == "update -qq"
    assert "apt-get could not install them" in done.stderr


def test_the_readme_and_ci_use_the_script():
    readme = (ROOT / "README.md").read_text().split("\n")
    commands = [line for line in readme[:15] if line.startswith("scripts/setup.sh")]
    assert commands == ["scripts/setup.sh && .venv/bin/pressroom",
                        "scripts/setup.sh --test && .venv/bin/python -m pytest -q"]
    assert "scripts/setup.sh --test" in (ROOT / ".ci" / "run").read_text()
