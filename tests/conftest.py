"""Shared fixtures: the small fixture manuscript built once, and the real manuscript built once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pressroom.cli import main

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def run_cli(*args: str) -> int:
    """Run the command line in-process and return its exit code."""
    return main([str(a) for a in args])


@pytest.fixture(scope="session")
def mini_build(tmp_path_factory) -> Path:
    """The fixture manuscript built into a fresh folder; returns the output folder."""
    out = tmp_path_factory.mktemp("mini") / "dist"
    assert run_cli("build", "--manuscript", FIXTURES / "mini", "--out", out, "--quiet") == 0
    return out


@pytest.fixture(scope="session")
def real_build(tmp_path_factory) -> Path:
    """The real manuscript, every edition in every language."""
    out = tmp_path_factory.mktemp("real") / "dist"
    assert run_cli("build", "--manuscript", ROOT / "manuscript", "--out", out, "--quiet") == 0
    return out


@pytest.fixture
def mini_copy(tmp_path) -> Path:
    """A writable copy of the fixture manuscript, for tests that break it."""
    dest = tmp_path / "manuscript"
    shutil.copytree(FIXTURES / "mini", dest)
    return dest
