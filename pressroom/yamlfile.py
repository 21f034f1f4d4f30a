"""YAML reading that remembers the line of every key, for located error messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import BuildError


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


class _Loader(yaml.SafeLoader):
    """SafeLoader whose mappings and sequences carry line numbers."""

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
            result[key] = self.construct_object(value_node, deep=True)
            result.key_lines[key] = key_node.start_mark.line + 1 + self.line_offset
        return result

    def construct_sequence(self, node, deep=False):  # noqa: D401 - PyYAML API
        result = LineList(self.construct_object(child, deep=True) for child in node.value)
        result.line = node.start_mark.line + 1 + self.line_offset
        result.item_lines = [c.start_mark.line + 1 + self.line_offset for c in node.value]
        return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _Loader.construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _Loader.construct_sequence)
# Dates stay strings: the manuscript's dates are shown as written and parsed where needed.
_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_yaml(text: str, path: Path | str, line_offset: int = 0) -> Any:
    """Parse YAML text; syntax errors become a located BuildError."""
    loader = _Loader(text)
    loader.line_offset = line_offset
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 + line_offset if mark else None
        what = exc.problem or str(exc)
        raise BuildError.at(path, line, f"invalid YAML: {what} (expected valid YAML)") from None
    except yaml.YAMLError as exc:
        raise BuildError.at(path, None, f"invalid YAML: {exc}") from None
    finally:
        loader.dispose()


def read_text(path: Path) -> str:
    """Read a UTF-8 text file; decoding errors become a located BuildError."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise BuildError.at(path, line, f"not valid UTF-8 (byte 0x{data[exc.start]:02x}; "
                                        "expected a UTF-8 text file)") from None
    return text.removeprefix("\ufeff").replace("\r\n", "\n")


def load_yaml_file(path: Path) -> Any:
    """Read and parse a YAML file."""
    return parse_yaml(read_text(path), path)
