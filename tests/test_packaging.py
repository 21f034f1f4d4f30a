"""A real, non-editable `pip install .` into a fresh virtual environment, then a book built with it
from another folder: the theme (stylesheets, templates) and every subpackage must be in the wheel.

The new environment gets pressroom's dependencies from this one (a `.pth` file pointing at its
site-packages), so that nothing is downloaded; pressroom itself comes only from what pip installed
(the source is copied elsewhere first and the build runs far from it)."""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from conftest import ROOT


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The bin/ folder of a virtual environment with pressroom installed from a copy of the source."""
    base = tmp_path_factory.mktemp("install")
    source = base / "source"
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name) if source.exists() else (source.mkdir(), shutil.copy(ROOT / name, source / name))
    for folder in ("pressroom", "styles"):
        shutil.copytree(ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__"))
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    purelib = Path(subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                  check=True, capture_output=True, text=True).stdout.strip())
    ours = [p for p in {sysconfig.get_paths()["purelib"], *site.getsitepackages()} if Path(p).is_dir()]
    (purelib / "zz-dependencies.pth").write_text("\n".join(ours) + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PIP_REQUIRE_VIRTUALENV")}
    done = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps",
                           str(source)],
                          cwd=base, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return venv / "bin"


def run(bin_dir: Path, *args, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([str(bin_dir / "pressroom"), *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_installed_package_holds_the_theme_and_every_subpackage(installed, tmp_path):
    probe = ("import importlib.resources, pressroom, pressroom.build.pipeline, pressroom.distribute.run\n"
             "theme = importlib.resources.files('pressroom.theme')\n"
             "print(pressroom.__file__)\n"
             "print(sorted(p.name for p in theme.iterdir() if p.name != '__pycache__'))\n"
             "print(sorted(p.name for p in (theme / 'templates').iterdir()))")
    done = subprocess.run([str(installed / "python"), "-c", probe], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    where, files, templates = done.stdout.splitlines()
    assert "site-packages" in where and str(ROOT) not in where
    assert files == str(["__init__.py", "base.css", "brief.css", "print.css", "screen.css", "templates"])
    assert templates == str(sorted(p.name for p in (ROOT / "styles" / "templates").iterdir()))


def test_an_installed_pressroom_builds_a_new_book_elsewhere(installed, tmp_path):
    assert run(installed, "--version", cwd=tmp_path).stdout.strip().startswith("pressroom ")
    made = run(installed, "new", "book", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    done = run(installed, "--quiet", cwd=tmp_path / "book" / "manuscript")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "book" / "dist" / "en" / "report.pdf").stat().st_size > 10_000
    assert (tmp_path / "book" / "dist" / "web.css").read_bytes() == (ROOT / "styles" / "screen.css").read_bytes()


def test_pyproject_lists_every_package():
    import tomllib
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    folders = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "pressroom").rglob("__init__.py")}
    assert set(settings["packages"]) == folders | {"pressroom.theme"}
    assert settings["package-dir"] == {"pressroom.theme": "styles"}
