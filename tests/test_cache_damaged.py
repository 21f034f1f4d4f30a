"""Damaged output-cache entries are misses: never served, never an internal error."""

import json

import pytest

from pressroom.build.cache import OutputCache, PartCache
from pressroom.build.make import sha256


KEY = "ab" * 32


def test_an_output_file_whose_bytes_changed_is_a_miss(tmp_path):
    # the entry records each file's sha256 (manifest entries); the part cache checks its PDF's hash
    cache = OutputCache(tmp_path)
    data = b"%PDF-1.7 whole"
    cache.store(KEY, {"entries": {"en/a.pdf": {"sha256": sha256(data)}}}, {"en/a.pdf": data})
    (tmp_path / ".cache" / "editions" / KEY / "files" / "en" / "a.pdf").write_bytes(data[:5])
    assert cache.load(KEY) is None


@pytest.mark.parametrize("text", ["[]", "null", "7"])
def test_a_result_that_is_json_but_not_an_object_is_a_miss(tmp_path, text):
    cache = OutputCache(tmp_path)
    cache.store(KEY, {}, {"en/a.pdf": b"a"})
    (tmp_path / ".cache" / "editions" / KEY / "result.json").write_text(text)
    assert cache.load(KEY) is None


@pytest.mark.parametrize("text", ["[]", "null"])
def test_a_part_meta_that_is_json_but_not_an_object_is_a_miss(tmp_path, text):
    (tmp_path / ".cache" / "parts").mkdir(parents=True)
    (tmp_path / ".cache" / "parts" / "k.json").write_text(text)
    assert PartCache(tmp_path).load("k") is None
