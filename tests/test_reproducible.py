"""Reproducibility: clean builds in different folders at different times give the same bytes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from pypdf import PdfReader

from conftest import FIXTURES, ROOT


def build(out, env_extra=None, manuscript=FIXTURES / "mini"):
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    env.update(env_extra or {})
    subprocess.run([sys.executable, str(ROOT / "build.py"), "--manuscript", str(manuscript), "--out", str(out),
                    "--quiet"], check=True, env=env)


def test_two_clean_builds_give_identical_bytes(tmp_path):
    build(tmp_path / "first" / "dist")
    time.sleep(1.1)  # a different second on the clock
    build(tmp_path / "elsewhere" / "second")
    a = json.loads((tmp_path / "first" / "dist" / "manifest.json").read_text())
    b = json.loads((tmp_path / "elsewhere" / "second" / "manifest.json").read_text())
    assert a == b
    for e in a["outputs"]:
        assert (tmp_path / "first" / "dist" / e["path"]).read_bytes() == \
               (tmp_path / "elsewhere" / "second" / e["path"]).read_bytes(), e["path"]


def test_source_date_epoch_sets_only_the_dates_the_manuscript_leaves_open(tmp_path):
    # The fixture's publication.yml has a date: SOURCE_DATE_EPOCH does not move it.
    build(tmp_path / "a", {"SOURCE_DATE_EPOCH": "1600000000"})
    dated = PdfReader(str(tmp_path / "a" / "en/report.pdf")).metadata["/CreationDate"]
    assert dated.startswith("D:20200504")
    # The minimal manuscript has none: the PDF's dates come from SOURCE_DATE_EPOCH, and no date is
    # printed (an undated publication is not given one), so the pages are the same.
    build(tmp_path / "b", {"SOURCE_DATE_EPOCH": "1600000000"}, FIXTURES / "minimal")
    build(tmp_path / "c", {"SOURCE_DATE_EPOCH": "1700000000"}, FIXTURES / "minimal")
    rb = PdfReader(str(tmp_path / "b" / "en/report.pdf"))
    rc = PdfReader(str(tmp_path / "c" / "en/report.pdf"))
    assert rb.metadata["/CreationDate"].startswith("D:20200913")
    assert rc.metadata["/CreationDate"].startswith("D:20231114")
    tb = [p.extract_text() for p in rb.pages]
    tc = [p.extract_text() for p in rc.pages]
    assert len(tb) == len(tc)
    assert tb == tc
    assert not any("2020" in x or "1980" in x for x in tb)
