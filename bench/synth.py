#!/usr/bin/env python3
"""A synthetic manuscript N times the size of the real one, for measuring how the build scales.

    .venv/bin/python bench/synth.py [--factor 4] [--out bench/out/synth4]

Copies `manuscript/` to `<out>/manuscript/` and adds copies of the chapters, each under a new file
name (`10-introduction-copy2.md`, ...) with a new id (`introduction-copy2`) and title
("... (copy 2)"), until the English text (front matter, chapters, recommendations, back matter:
everything the full report prints) is at least `factor` times the real one's. Front matter,
recommendations, back matter and briefs are not copied: the copies' links (`[US-2](#US-2)`,
`[chapter 3](#kosovo)`) point at the originals and stay valid, footnote labels are local to a file
and heading anchors are prefixed with the (new) section id, so the copy builds without errors.

Translations are not copied: the copy is English only (`languages: [en]` in `publication.yml` and
in every edition of `editions.yml`, and no `fr/` folder).

Prints one JSON line: chapters, copies, words of the real and synthetic manuscripts, and the ratio.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from pathlib import Path

import yaml

PROJECT = Path(__file__).resolve().parent.parent
PRINTED = ("front", "chapters", "recommendations", "back")


def words(root: Path) -> int:
    """Words in the English sources the full report prints (front matter included)."""
    return sum(len(p.read_text(encoding="utf-8").split()) for d in PRINTED for p in sorted((root / d).glob("*.md")))


def _retitle(front: str, n: int) -> str:
    """New id, title and short title for copy `n` of a chapter's front matter."""
    def sub(key: str, suffix: str, text: str) -> str:
        pat = re.compile(rf"^{key}:[ \t]*(.+)$", re.M)
        m = pat.search(text)
        if not m:
            return text
        value = yaml.safe_load(m.group(1))
        return text[:m.start()] + f"{key}: {json.dumps(f'{value}{suffix}', ensure_ascii=False)}" + text[m.end():]
    front = sub("title", f" (copy {n})", front)
    front = sub("short_title", f" (copy {n})", front)
    return sub("id", f"-copy{n}", front)


def make(out: Path, factor: float = 4.0, manuscript: Path = PROJECT / "manuscript") -> dict:
    """Write the synthetic manuscript to `out/manuscript`; return what was made."""
    target = out / "manuscript"
    if target.exists():
        shutil.rmtree(target)
    out.mkdir(parents=True, exist_ok=True)
    shutil.copytree(manuscript, target, ignore=shutil.ignore_patterns("fr"))
    pub = target / "publication.yml"
    pub.write_text(re.sub(r"^languages:.*$", "languages: [en]", pub.read_text(encoding="utf-8"), flags=re.M),
                   encoding="utf-8")
    eds = target / "editions.yml"
    eds.write_text(re.sub(r"^(\s*)languages:.*$", r"\1languages: [en]", eds.read_text(encoding="utf-8"), flags=re.M),
                   encoding="utf-8")

    chapters = sorted((manuscript / "chapters").glob("*.md"))
    real = words(manuscript)
    chapter_words = sum(len(p.read_text(encoding="utf-8").split()) for p in chapters)
    copies = 1
    while real - chapter_words + chapter_words * copies < factor * real:
        copies += 1
    number = len(chapters)
    width = max(2, len(str(number * copies)))
    for n in range(2, copies + 1):
        for src in chapters:
            number += 1
            text = src.read_text(encoding="utf-8")
            m = re.match(r"\A---\n(.*?\n)---\n", text, re.S)
            if not m:
                raise SystemExit(f"{src}: no front matter")
            front = m.group(1)
            if not re.search(r"^id:", front, re.M):
                front += f"id: {re.sub(r'^[0-9]+[-_]', '', src.stem)}\n"
            body = text[m.end():]
            slug = re.sub(r"^[0-9]+[-_]", "", src.stem)
            (target / "chapters" / f"{number:0{width}d}-{slug}-copy{n}.md").write_text(
                f"---\n{_retitle(front, n)}---\n{body}", encoding="utf-8")
    made = words(target)
    return {"manuscript": str(target), "chapters": number, "chapter_copies": copies,
            "words_real": real, "words_synthetic": made, "ratio": round(made / real, 2)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--factor", type=float, default=4.0, help="size of the copy relative to the real manuscript")
    ap.add_argument("--out", type=Path, default=None, help="folder (default: bench/out/synth<factor>)")
    args = ap.parse_args(argv)
    out = args.out or PROJECT / "bench" / "out" / f"synth{args.factor:g}"
    print(json.dumps(make(out, args.factor)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
