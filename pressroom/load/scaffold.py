"""`pressroom new DIR`: a new book that builds at once (a project file, a publication, one chapter),
and, if asked, a copy of the default theme to change."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

from ..errors import BuildError
from .project import PROJECT_FILE, default_theme

CHAPTER = """---
title: {introduction}
---

{welcome}

## {next_heading}

{next_text}
"""

TEXTS = {
    "en": dict(introduction="Introduction", welcome="This is the first chapter. Write in Markdown: *emphasis*, "
               "**strong**, [links](https://example.org), lists, tables and footnotes.[^1]",
               next_heading="What comes next",
               next_text="Add chapters as `chapters/02-name.md`, each with a `title:` in its front matter. "
                         "Build with `pressroom`; the PDF and the web page are in `dist/en/`.\n\n"
                         "[^1]: Footnotes go to the foot of the page in the PDF."),
    "fr": dict(introduction="Introduction", welcome="Voici le premier chapitre. Écrivez en Markdown : "
               "*italique*, **gras**, [liens](https://example.org), listes, tableaux et notes.[^1]",
               next_heading="Et ensuite",
               next_text="Ajoutez des chapitres `chapters/02-nom.md`, chacun avec un `title:` dans son en-tête. "
                         "Construisez avec `pressroom` ; le PDF et la page web sont dans `dist/fr/`.\n\n"
                         "[^1]: Les notes vont en bas de page dans le PDF."),
}


def new_book(folder: Path, title: str | None = None, language: str = "en", theme: bool = False) -> list[Path]:
    """Make the files of a new book in `folder` (which must not exist, or be empty); return them."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise BuildError.at(folder, None, "already exists and is not an empty folder (expected a new folder "
                                          "for the book, e.g. pressroom new my-book)")
    if not re.match(r"^[a-z]{2}$", language):
        raise BuildError.at("--language", None, f"language '{language}' is not a two-letter code (expected e.g. en)")
    title = title or folder.resolve().name.replace("-", " ").replace("_", " ").strip().capitalize() or "My book"
    texts = TEXTS.get(language, TEXTS["en"])
    files = {
        PROJECT_FILE: "# The project file: `pressroom` builds this book from this folder or any folder below it.\n"
                      "# Paths are relative to this file.\n"
                      "manuscript: manuscript\nout: dist\n" + ("theme: theme\n" if theme else ""),
        "manuscript/publication.yml": f"title: {_yaml_text(title)}\nlanguage: {language}\n"
                                      f"date: {dt.date.today().isoformat()}\n",
        "manuscript/chapters/01-introduction.md": CHAPTER.format(**texts),
        ".gitignore": "dist/\n",
    }
    made = []
    try:
        for rel, text in files.items():
            path = folder / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            made.append(Path(rel))
        if theme:
            shutil.copytree(default_theme(), folder / "theme",
                            ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
            made.append(Path("theme"))
    except OSError as exc:
        raise BuildError.at(folder, None, f"cannot make the book: {exc.strerror or exc} "
                                          "(check the path and permissions)") from None
    return made


def _yaml_text(text: str) -> str:
    """Text as a YAML value: quoted when YAML would read it otherwise."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"' if re.search(r"[:#\[\]{}&*!|>'\"%@`,]", text) \
        or text != text.strip() else text
