"""sign-off refuses, with a located error, what it cannot sign off: a missing file, one outside the manuscript."""

from pathlib import Path

import pytest

from pressroom.errors import BuildError
from pressroom.load.translations import sign_off


def test_sign_off_of_a_missing_translation_is_a_located_error(mini_copy):
    path = mini_copy / "fr" / "chapters" / "02-second.md"
    path.unlink()
    with pytest.raises(BuildError):
        sign_off(mini_copy, path)


def test_sign_off_of_a_file_outside_the_manuscript_is_a_located_error(mini_copy, tmp_path):
    path = tmp_path / "elsewhere.md"
    path.write_text("---\ntitle: x\n---\n")
    with pytest.raises(BuildError):
        sign_off(mini_copy, path)
