"""The project file (`pressroom.yml`) and the theme: where the manuscript, the output folder and the
stylesheets and templates are, so that `pressroom` needs no flags.

The project file is looked for in the working folder and each folder above it (as MkDocs and Quarto
do); the paths it gives are relative to the folder it stands in. A flag on the command line wins
over the file, and the file over the defaults (`manuscript/`, `dist/`, the packaged theme)."""

from __future__ import annotations

import importlib.resources
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import BuildError, Problems, describe, expected, suggest
from .yamlfile import LineDict, load_yaml_file

PROJECT_FILE = "pressroom.yml"
PROJECT_KEYS = {
    "manuscript": "the manuscript folder (publication.yml, chapters/...)",
    "out": "the output folder",
    "theme": "a folder with the stylesheets and templates/, instead of the default theme",
}
THEME_FILES = ("base.css", "print.css", "brief.css", "screen.css", "templates/report.html.j2",
               "templates/brief.html.j2", "templates/web.html.j2")
"""What a theme folder holds (a project's own theme starts as a copy of the default one)."""


def default_theme() -> Path:
    """The theme shipped with pressroom: the repository's `styles/` folder, installed as the package
    data `pressroom.theme` (pyproject.toml maps one to the other) and found with importlib.resources.
    Code run from a source tree that is not installed (a copy with `styles/` beside `pressroom/`, on
    PYTHONPATH) takes the `styles/` beside it."""
    beside = Path(__file__).resolve().parents[2] / "styles"
    if (beside / "__init__.py").is_file() and (beside / "print.css").is_file():
        return beside
    return Path(str(importlib.resources.files("pressroom.theme")))


@dataclass(frozen=True)
class Project:
    """Where things are, from the project file, the command line and the defaults."""

    file: Path | None
    """The project file, or None when there is none."""
    manuscript: Path
    """The manuscript folder."""
    out: Path
    """The output folder."""
    theme: Path
    """The stylesheets and templates."""


def find_project_file(start: Path | None = None) -> Path | None:
    """`pressroom.yml` in `start` (the working folder) or the nearest folder above it.

    The search stops, without a project file, at a folder that is a project by the old convention
    (a `manuscript/publication.yml` and no `pressroom.yml`) or the top of a git repository, so that
    a book inside another project's folder is not built with that project's settings."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / PROJECT_FILE
        if candidate.is_file():
            return candidate
        if (folder / "manuscript" / "publication.yml").is_file() or (folder / ".git").exists():
            return None
    return None


def _shown(path: Path) -> Path:
    """A path relative to the working folder when it lies inside it (as messages show paths)."""
    try:
        rel = path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path
    return Path(os.path.normpath(rel)) if rel.parts else Path(".")


def load_project(file: Path | None, manuscript: Path | None = None, out: Path | None = None,
                 theme: Path | None = None) -> Project:
    """The project: the flags given (not None), else the project file's settings, else the defaults.

    Unknown keys and values that are not paths are located errors, like the rest of the settings."""
    values: dict[str, Path] = {}
    if file is not None:
        given = {k for k, v in (("manuscript", manuscript), ("out", out), ("theme", theme)) if v is not None}
        values = _read(file, given)
    manuscript = manuscript or values.get("manuscript") or Path("manuscript")
    out = out or values.get("out") or Path("dist")
    theme = theme or values.get("theme") or default_theme()
    return Project(file, manuscript, out, theme)


def _read(file: Path, given: set[str] = frozenset()) -> dict[str, Path]:
    """The settings of a project file; the folders of those in `given` (set by flags) are not
    checked, as they are not used."""
    data = load_yaml_file(file)
    if data is None:
        return {}
    if not isinstance(data, LineDict):
        raise BuildError.at(file, 1, "must be a mapping of settings (expected 'key: value' lines, "
                                     "e.g. manuscript: manuscript)")
    p = Problems()
    base = file.resolve().parent
    out: dict[str, Path] = {}
    for key, value in data.items():
        if key not in PROJECT_KEYS:
            p.error(file, data.line_of(key), f"unknown key '{key}' in {file.name}"
                                             f"{suggest(str(key), PROJECT_KEYS) or _hint(str(key))} "
                                             f"(expected {expected(PROJECT_KEYS)})")
            continue
        if not isinstance(value, str) or not value.strip():
            p.error(file, data.line_of(key), f"'{key}' must be a folder (got {describe(value)}; "
                                             f"expected {PROJECT_KEYS[key]}, relative to {file.name})")
            continue
        folder = _shown(base / value.strip())
        if key in given:
            continue
        if key == "theme":
            problem = theme_problem(folder)
            if problem:
                p.error(file, data.line_of(key), f"theme '{value}' {problem}")
        elif key == "manuscript" and not folder.is_dir():
            p.error(file, data.line_of(key), f"manuscript folder '{value}' not found (expected a folder "
                                             f"with publication.yml, relative to {file.name})")
        out[key] = folder
    p.raise_if_errors()
    return out


def _hint(key: str) -> str:
    return " (did you mean 'theme'?)" if key in ("styles", "style", "templates") else ""


def theme_problem(folder: Path) -> str:
    """What is wrong with a theme folder, or an empty string."""
    if not folder.is_dir():
        return "is not a folder (expected a folder with the stylesheets and templates/)"
    missing = [f for f in THEME_FILES if not (folder / f).is_file()]
    if missing:
        return (f"lacks {', '.join(missing)} (expected a copy of the default theme to change: "
                "pressroom new --theme DIR makes one)")
    return ""
