"""Page images of the real build against the references in tests/visual/ (see tests/visual.py;
`python tests/visual.py --update` writes them again after an intended change of layout)."""

from __future__ import annotations

import shutil

import pytest
from PIL import Image, ImageChops

import visual

pytestmark = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler's pdftoppm")


def test_pages_match_their_references(real_build, tmp_path):
    failures = visual.compare(real_build, tmp_path / "visual")
    assert failures == [], "\n".join(failures)


def test_the_tolerance_lets_no_moved_line_through():
    # A page whose text moved down by one line (about 8 pixels at 40 dpi), or lost a line, fails.
    reference = Image.open(visual.REFERENCES / "report-footnotes.png").convert("L")
    moved = ImageChops.offset(reference, 0, 8)
    mean, changed = visual.difference(moved, reference)
    assert mean > visual.MEAN_TOLERANCE or changed > visual.CHANGED_TOLERANCE
    # ...and the same page rendered again passes
    assert visual.difference(reference, reference.copy()) == (0.0, 0.0)


def test_a_different_page_fails(tmp_path):
    a = Image.open(visual.REFERENCES / "brief-en-us-congress-1.png").convert("L")
    b = Image.open(visual.REFERENCES / "brief-en-ca-parliament-1.png").convert("L")
    mean, changed = visual.difference(a, b)
    assert mean > visual.MEAN_TOLERANCE or changed > visual.CHANGED_TOLERANCE
