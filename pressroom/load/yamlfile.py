"""YAML reading that remembers the line of every key, for located error messages."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

try:  # libyaml's parser, when PyYAML was built with it
    from yaml.cyaml import CParser as _CParser
except ImportError:
    _CParser = None

from ..errors import BuildError


class LineDict(dict):
    """A mapping read from YAML, with the line where it and each of its keys stand."""

    line: int = 0
    key_lines: dict

    def line_of(self, key: str) -> int:
        """Line of `key` if present, else the line of the mapping."""
        return self.key_lines.get(key, self.line)


class LineList(list):
    """A sequence read from YAML, with the line of each item."""

    line: int = 0
    item_lines: list


class _Lines:
    """Constructors whose mappings and sequences carry line numbers."""

    line_offset = 0

    def construct_mapping(self, node, deep=False):  # noqa: D401 - PyYAML API
        self.flatten_mapping(node)
        result = LineDict()
        result.line = node.start_mark.line + 1 + self.line_offset
        result.key_lines = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    None, None, "found an unhashable key", key_node.start_mark)
            if key in result:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}, first on line {result.key_lines[key]}",
                    key_node.start_mark)
            result[key] = self.construct_object(value_node, deep=True)
            result.key_lines[key] = key_node.start_mark.line + 1 + self.line_offset
        return result

    def construct_sequence(self, node, deep=False):  # noqa: D401 - PyYAML API
        result = LineList(self.construct_object(child, deep=True) for child in node.value)
        result.line = node.start_mark.line + 1 + self.line_offset
        result.item_lines = [c.start_mark.line + 1 + self.line_offset for c in node.value]
        return result


class _Loader(_Lines, yaml.SafeLoader):
    """PyYAML's own (Python) safe loader, with lines: its error messages are the ones explained."""


_LOADERS = [_Loader]
if _CParser is not None:
    class _FastLoader(_CParser, _Lines, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
        """The same on libyaml's parser (some ten times faster); used for text that parses."""

        def __init__(self, stream):
            _CParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)

    _LOADERS.insert(0, _FastLoader)

for _cls in _LOADERS:
    _cls.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _cls.construct_mapping)
    _cls.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _cls.construct_sequence)
    # Dates stay strings: the manuscript's dates are shown as written and parsed where needed.
    _cls.yaml_implicit_resolvers = {
        k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
        for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


def _fast(text: str, line_offset: int):
    """The data, by libyaml, or None when it is not there or anything is wrong with the text (the
    Python loader then says what, in the words explain_yaml_error knows)."""
    if len(_LOADERS) < 2 or yaml.reader.Reader.NON_PRINTABLE.search(text):
        return None
    loader = _LOADERS[0](text)
    loader.line_offset = line_offset
    try:
        return (loader.get_single_data(),)
    except Exception:  # noqa: BLE001 - parsed again below, for the located message
        return None
    finally:
        loader.dispose()


def parse_yaml(text: str, path: Path | str, line_offset: int = 0, where: str = "") -> Any:
    """Parse YAML text; syntax errors become a located BuildError.

    `where` names the part of the file the text is (`the front matter`) for messages."""
    fast = _fast(text, line_offset)
    if fast is not None:
        return fast[0]
    loader = None
    try:
        loader = _Loader(text)
        loader.line_offset = line_offset
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        line, message = explain_yaml_error(exc, text, where or "the file")
        prefix = f"invalid YAML in {where}" if where else "invalid YAML"
        raise BuildError.at(path, line + 1 + line_offset if line is not None else None,
                            f"{prefix}: {message}") from None
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1 + line_offset
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "?")
        raise BuildError.at(path, line, f"the invisible control character U+{code:04X} is not allowed in YAML "
                                        "(expected printable text; delete the character)") from None
    except yaml.YAMLError as exc:
        raise BuildError.at(path, None, f"invalid YAML: {exc}") from None
    except RecursionError:
        raise BuildError.at(path, 1 + line_offset, f"invalid YAML{' in ' + where if where else ''}: lists or "
                                                   "mappings nested too deeply (expected a few levels at most)") from None
    finally:
        if loader is not None:
            loader.dispose()


def _quote_example(line: str) -> str:
    """`title: "Rwanda, 1994: the will"` for a `key: value: more` line, or a generic example."""
    key, sep, value = line.strip().partition(": ")
    value = value.strip()
    if sep and key and value and not value.startswith(("'", '"')) and '"' not in value:
        return f'{key}: "{value}"'
    return 'title: "Rwanda, 1994: the will not to intervene"'


def explain_yaml_error(exc: yaml.MarkedYAMLError, text: str, where: str) -> tuple[int | None, str]:
    """A 0-based line and a plain-words message (what is wrong, and what was expected) for a YAML error."""
    problem = exc.problem or ""
    context = exc.context or ""
    mark = exc.problem_mark or exc.context_mark
    line = mark.line if mark else None
    cline = exc.context_mark.line if exc.context_mark else line
    lines = text.split("\n")
    src = lines[line] if line is not None and line < len(lines) else ""
    ends = "<stream end>" in problem or "end of stream" in problem
    if "flow sequence" in context and ends:
        return cline, f"the '[' on this line is never closed (expected a ']' before the end of {where})"
    if "flow mapping" in context and ends:
        return cline, f"the '{{' on this line is never closed (expected a '}}' before the end of {where})"
    if "quoted scalar" in context and ends:
        quote = text[exc.context_mark.index] if exc.context_mark and exc.context_mark.index < len(text) else '"'
        return cline, f"the quotation mark {quote} on this line is never closed (expected a closing {quote} " \
                      f"before the end of {where})"
    if "mapping values are not allowed" in problem:
        if src[:1] not in (" ", "\t") and src.count(": ") + src.rstrip().endswith(":") >= 2:
            return line, f"a second ': ' inside a value (expected a value holding ': ' to be in quotes, " \
                         f"e.g. {_quote_example(src)})"
        return line, "unexpected 'key: value' (expected the keys of one mapping to line up, " \
                     "and a value holding ': ' to be in quotes)"
    if "cannot start any token" in problem:
        m = re.search(r"found character '(.+?)'", problem)
        char = m.group(1) if m else "?"
        if char in ("\\t", "\t"):
            if mark is not None and not src[: mark.column].strip():
                return line, "a tab character in the indentation (expected spaces; YAML does not allow tabs there)"
            return line, "a tab character (expected a space; YAML does not allow tabs there)"
        return line, f"a value cannot start with '{char}' (expected the value in quotes, " \
                     f"e.g. {_quote_example(src) if ': ' in src else 'key: ' + chr(34) + char + '...' + chr(34)})"
    if "could not find expected ':'" in problem:
        return cline, "a line that is not 'key: value' (expected 'key: value', '- item' in a list, " \
                      "or a long value continued on indented lines)"
    if "expected <block end>" in problem or "expected <block mapping start>" in problem:
        m = re.search(r"but found '(.+?)'", problem)
        found = m.group(1) if m else ""
        if found.startswith("<") or found in ("?", "-"):
            return line, "this line does not line up with the lines above (expected the items of one list " \
                         "or mapping at the same indentation, and no list item among 'key: value' lines)"
        return line, f"unexpected '{found}' (expected 'key: value' lines; put a value holding '{found}' in quotes)"
    if "undefined alias" in problem:
        return line, "a value starting with '*' (expected the value in quotes: '*' starts a YAML alias)"
    if "could not determine a constructor for the tag" in problem:
        return line, "a value starting with '!' (expected the value in quotes: '!' starts a YAML tag)"
    if "unhashable key" in problem:
        return line, "a list or mapping used as a key (expected a plain word before ':')"
    if problem.startswith("duplicate key"):
        key, _, first = problem.removeprefix("duplicate key ").rpartition(", first on line ")
        return line, f"duplicate key {key} (expected each key once; it is first set on line {first})"
    what = f"{context}: {problem}" if context and problem else problem or context or str(exc)
    return line, f"{what} (expected valid YAML)"


def read_text(path: Path) -> str:
    """Read a UTF-8 text file; decoding errors, and a path that cannot be read (a folder, a file
    without permission), become a located BuildError."""
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise BuildError.at(path, None, "is a folder, not a file (expected a text file; rename the folder "
                                        "or move it out of the manuscript)") from None
    except FileNotFoundError:
        raise BuildError.at(path, None, "file not found (expected a text file here)") from None
    except OSError as exc:
        raise BuildError.at(path, None, f"cannot be read: {exc.strerror or exc} (expected a readable "
                                        "text file; check its permissions)") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        before = data[data.rfind(b"\n", 0, exc.start) + 1: exc.start].decode("utf-8", "replace")[-20:].lstrip()
        where = f" after '{before}'" if before else " at the start of the line"
        try:
            data.decode("cp1252")
            guess = "; it looks like Latin-1 or Windows-1252"
        except UnicodeDecodeError:
            guess = ""
        raise BuildError.at(path, line, f"not valid UTF-8: byte 0x{data[exc.start]:02x}{where} "
                                        f"(expected a UTF-8 text file{guess}: save it again as UTF-8)") from None
    return text.removeprefix("\ufeff").replace("\r\n", "\n")


def load_yaml_file(path: Path) -> Any:
    """Read and parse a YAML file."""
    return parse_yaml(read_text(path), path)
