"""The one error type of pressroom: problems located at a source file and line."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable


@dataclass(frozen=True, order=True)
class SourceLocation:
    """Where a problem was found."""

    path: str
    """File path as shown to the user (relative to the working directory when possible)."""
    line: int | None = None
    """1-based line number, or None when the problem concerns the whole file."""

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path

    @classmethod
    def of(cls, path: Path | str, line: int | None = None) -> "SourceLocation":
        """A location with the path shown relative to the working directory if inside it."""
        return cls(display_path(path), line)


def display_path(path: Path | str) -> str:
    """Path relative to the working directory when it lies inside it, else as given."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)


MESSAGE_LIMIT = 800
"""Characters of a message printed at most (source values in messages are quoted shorter still)."""


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input."""

    location: SourceLocation
    """Where it is."""
    message: str
    """What is wrong, and what was expected."""
    severity: str = "error"
    """'error' or 'warning'."""

    def __str__(self) -> str:
        return f"{self.location}: {self.shown}"

    @property
    def shown(self) -> str:
        """The message as printed: one that quotes a huge source value (a data: URI, a whole
        paragraph from a renderer's error) is cut, saying how much was left out."""
        if len(self.message) <= MESSAGE_LIMIT:
            return self.message
        return f"{self.message[:MESSAGE_LIMIT]}... ({len(self.message) - MESSAGE_LIMIT} more characters)"

    def format(self, with_severity: bool = False) -> str:
        """`path:line: message`, or `path:line: severity: message`."""
        if with_severity:
            return f"{self.location}: {self.severity}: {self.shown}"
        return str(self)


class BuildError(Exception):
    """Raised once with every problem found; the CLI prints them and exits 1."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = tuple(sorted(set(problems)))  # the same problem found twice is reported once
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def at(cls, path: Path | str, line: int | None, message: str) -> "BuildError":
        """A BuildError with a single problem."""
        return cls([Problem(SourceLocation.of(path, line), message)])


@dataclass
class Problems:
    """Collects problems during validation, then raises them all at once."""

    items: list[Problem] = field(default_factory=list)
    """Problems collected so far, errors and warnings."""

    def error(self, path: Path | str, line: int | None, message: str) -> None:
        """Record an error."""
        self.items.append(Problem(SourceLocation.of(path, line), message))

    def warning(self, path: Path | str, line: int | None, message: str) -> None:
        """Record a warning."""
        self.items.append(Problem(SourceLocation.of(path, line), message, "warning"))

    def extend(self, problems: Iterable[Problem]) -> None:
        """Add problems found elsewhere."""
        self.items.extend(problems)

    @property
    def errors(self) -> list[Problem]:
        """The errors only."""
        return [p for p in self.items if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        """The warnings only."""
        return [p for p in self.items if p.severity == "warning"]

    def raise_if_errors(self, strict: bool = False) -> None:
        """Raise a BuildError with every error (and every warning when strict)."""
        bad = self.items if strict else self.errors
        if bad:
            raise BuildError(bad)


def suggest(word: str, choices: Iterable[str]) -> str:
    """` (did you mean 'x'?)` for the closest choice, or an empty string."""
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.5)
    return f" (did you mean '{match[0]}'?)" if match else ""


def describe(value: object) -> str:
    """What kind of YAML value this is, in words for a message: `a list [a, b]`, `a number 4`."""
    if isinstance(value, bool):
        return f"the value {str(value).lower()}"
    if value is None:
        return "nothing"
    if isinstance(value, (int, float)):
        kind = "a number"
    elif isinstance(value, str):
        kind = "the text"
    elif isinstance(value, dict):
        kind = "a mapping"
    elif isinstance(value, (list, tuple)):
        kind = "a list"
    else:
        kind = "a value"
    shown = repr(value) if isinstance(value, str) else str(value).replace("'", "")
    if len(shown) > 40:
        shown = shown[:37] + "..."
    return f"{kind} {shown}"


def expected(choices: Iterable[str]) -> str:
    """`one of: a, b, c` for messages."""
    return "one of: " + ", ".join(sorted(choices))
