"""`build.py check`: every validation, without rendering."""

from __future__ import annotations

from pathlib import Path

from .errors import BuildError, Problem


def run_check(manuscript: Path, styles: Path) -> list[Problem]:
    """All problems (errors and warnings) of the manuscript, sorted by place."""
    from .manuscript import load_manuscript
    try:
        m = load_manuscript(manuscript, styles)
    except BuildError as exc:
        return sorted(exc.problems)
    return sorted(m.warnings)
