"""YAML with line numbers (pressroom.load.yamlfile): libyaml when it is there, the same data and lines."""

import pytest

from pressroom.load import yamlfile
from pressroom.errors import BuildError

TEXT = """title: "Rwanda, 1994"
date: 2009-09-15
audiences:
  - id: us-congress
    label: US Congress
  - id: media
    tags: [a, b]
flag: yes
"""


def parse_with(loaders, text, monkeypatch, **kw):
    monkeypatch.setattr(yamlfile, "_LOADERS", loaders)
    return yamlfile.parse_yaml(text, "publication.yml", **kw)


def test_libyaml_is_used_and_gives_the_data_and_lines_the_python_loader_gives(monkeypatch):
    assert yamlfile._LOADERS[0] is not yamlfile._Loader, "PyYAML without libyaml: the slow loader only"
    fast = parse_with(yamlfile._LOADERS, TEXT, monkeypatch, line_offset=2)
    slow = parse_with([yamlfile._Loader], TEXT, monkeypatch, line_offset=2)
    assert fast == slow == {"title": "Rwanda, 1994", "date": "2009-09-15", "flag": True,
                            "audiences": [{"id": "us-congress", "label": "US Congress"},
                                          {"id": "media", "tags": ["a", "b"]}]}
    for got in (fast, slow):
        assert got.key_lines == {"title": 3, "date": 4, "audiences": 5, "flag": 10}
        assert got["audiences"].item_lines == [6, 8]
        assert got["audiences"][1].key_lines == {"id": 8, "tags": 9}


@pytest.mark.parametrize("text, message", [
    ("a: 1\nb: 2\na: 3\n", "publication.yml:3: invalid YAML: duplicate key 'a' (expected each key once; it is "
                          "first set on line 1)"),
    ("title: Rwanda\x07\n", "publication.yml:1: the invisible control character U+0007 is not allowed in YAML "
                            "(expected printable text; delete the character)"),
])
def test_bad_yaml_is_explained_as_the_python_loader_explains_it(text, message):
    with pytest.raises(BuildError) as exc:
        yamlfile.parse_yaml(text, "publication.yml")
    assert [str(p) for p in exc.value.problems] == [message]
