"""Split YAML front matter from Markdown, keeping line numbers for error messages."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import BuildError
from .yamlfile import LineDict, parse_yaml, read_text


@dataclass(frozen=True)
class SourceText:
    """A Markdown source file split into its front matter and body."""

    path: Path
    """The file it came from."""
    meta: LineDict
    """The front matter, with key line numbers."""
    body: str
    """The Markdown after the front matter."""
    body_line: int
    """Line number in the file of the body's first line."""
    raw: str
    """The whole file text, for hashing."""


def read_source(path: Path) -> SourceText:
    """Read a Markdown file with `---` front matter."""
    text = read_text(path)
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise BuildError.at(path, 1, "missing front matter (expected the file to start with a '---' line)")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() in ("---", "..."))
    except StopIteration:
        raise BuildError.at(path, 1, "front matter is not closed (expected a second '---' line)") from None
    meta = parse_yaml("\n".join(lines[1:end]), path, line_offset=1, where="the front matter")
    if meta is None:
        meta = LineDict()
        meta.line, meta.key_lines = 1, {}
    if not isinstance(meta, LineDict):
        raise BuildError.at(path, 2, "front matter must be a mapping of keys to values (expected 'key: value' lines)")
    return SourceText(path, meta, "\n".join(lines[end + 1:]), end + 2, text)
