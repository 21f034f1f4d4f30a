"""Every PDF a build writes, run through two independent PDF/UA checkers from PyPI (outloud 0.2 and
pdfua 0.1, see tests/checkers.py): reports, briefs and personalised copies, in both languages, with
no error. Their warnings are bounded by what README.md counts and argues against."""

from __future__ import annotations

from checkers import assert_clean
from pressroom.distribute.stamp import StampText, stamp_pdf

STAMP = StampText(prepared_for="Prepared for Ada Lovelace, Chair, Analytical Committee", copy="Copy 1 of 2",
                  date="September 21, 2009", recipient="Ada Lovelace", copy_number="1/2")
KNOWN_WARNINGS = {"outloud PAG-001"}
"""The only warning the real report draws (README.md, Accessibility): outloud takes a line at the
foot or head of 3 pages that is the same once digits are dropped for a running head tagged as text;
here they are footnotes citing the same book ("8. Samantha Power, ...", "11. Samantha Power, ...")
and recommendation labels ("RECOMMENDATION CA-3", "... CA-5"), which are text."""


def stamped(pdfs, folder):
    out = []
    for i, pdf in enumerate(pdfs):
        path = folder / f"copy-{i}-{pdf.parent.name}-{pdf.name}"
        path.write_bytes(stamp_pdf(pdf.read_bytes(), STAMP, owner_password="owner" if i % 2 else None))
        out.append(path)
    return out


def test_every_pdf_of_the_fixture_build_passes_both_checkers(mini_build):
    pdfs = sorted(mini_build.glob("*/*.pdf"))
    assert len(pdfs) == 5
    warnings = assert_clean(pdfs)
    assert all(not w for w in warnings.values()), warnings


def test_personalised_copies_pass_both_checkers(mini_build, tmp_path):
    """Copies, plain and restricted (encrypted, accessibility extraction allowed), of every PDF."""
    copies = stamped(sorted(mini_build.glob("*/*.pdf")), tmp_path)
    warnings = assert_clean(copies)
    assert all(not w for w in warnings.values()), warnings


def test_every_pdf_of_the_real_build_passes_both_checkers(real_build, tmp_path):
    pdfs = sorted(real_build.glob("*/*.pdf"))
    assert len(pdfs) == 12  # 2 reports, 6 English briefs, 4 French ones
    warnings = assert_clean(pdfs)
    rules = {rule for w in warnings.values() for rule in w}
    assert rules <= KNOWN_WARNINGS, warnings
    assert sum(n for w in warnings.values() for n in w.values()) <= 4, warnings
    # and personalised copies: a French brief, the English report restricted (encrypted), a US brief
    # (copies of the fixture build's reports in both languages are checked above)
    chosen = [real_build / "fr" / "ca-government.pdf", real_build / "en" / "report.pdf",
              real_build / "en" / "us-congress.pdf"]
    copy_warnings = assert_clean(stamped(chosen, tmp_path))
    assert {rule for w in copy_warnings.values() for rule in w} <= KNOWN_WARNINGS, copy_warnings
