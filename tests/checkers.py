"""The two independent PDF/UA checkers from PyPI, outloud (0.2) and pdfua (0.1), run on a PDF: what
each calls an error, and the warnings counted.

Neither is let off anything: a rule of either that crashes or is skipped is a failure too, except
pdfua's UA-14-001 (empty headings), which crashes on every tagged document whose headings hold
more than one kid: its `as_integer` asks a pikepdf array for an attribute, and pikepdf 10 raises
ValueError there rather than AttributeError, so `getattr(..., False)` does not catch it. Here the
rule runs with that one helper made total (same answers for numbers, None for anything else), so
that it is really applied; the build's own check (pressroom.pdf.tagcheck) tests empty headings too.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Verdict:
    path: str
    errors: list[str] = field(default_factory=list)
    warnings: dict[str, int] = field(default_factory=dict)  # "checker rule" -> count


@functools.cache
def _pdfua_patched() -> None:
    import pdfua.rules.structure as structure
    original = structure.as_integer

    def as_integer(value):
        try:
            return original(value)
        except ValueError:  # pikepdf: "cannot get key '/is_integer' on object of type array"
            return None

    structure.as_integer = as_integer


def check(path: Path) -> Verdict:
    """Both checkers on one PDF."""
    import outloud
    import pdfua
    from pdfua.model import Severity
    _pdfua_patched()
    v = Verdict(str(path))
    r = outloud.check(str(path))
    if r.error:
        v.errors.append(f"outloud could not read it: {r.error}")
    v.errors += [f"outloud {run.rule} crashed: {run.reason}" for run in r.runs if run.status == "crashed"]
    for f in r.findings:
        if f.severity == "error":
            v.errors.append(f"outloud {f.rule} p{f.page} x{f.count}: {f.message} | {f.evidence or ''}")
        elif f.severity == "warning":
            v.warnings[f"outloud {f.rule}"] = v.warnings.get(f"outloud {f.rule}", 0) + f.count
    report = pdfua.validate(str(path))
    v.errors += [f"pdfua {o.rule_id} skipped: {o.skipped_reason}" for o in report.skipped]
    for f in report.findings:
        if f.severity >= Severity.ERROR:
            v.errors.append(f"pdfua {f.rule_id} p{f.location.page}: {f.message}")
        elif f.severity == Severity.WARNING:
            v.warnings[f"pdfua {f.rule_id}"] = v.warnings.get(f"pdfua {f.rule_id}", 0) + 1
    return v


def assert_clean(paths) -> dict[str, dict[str, int]]:
    """Both checkers on each PDF: fails listing every error of every file; returns the warnings."""
    verdicts = [check(p) for p in paths]
    bad = [f"{v.path}:\n  " + "\n  ".join(v.errors) for v in verdicts if v.errors]
    assert not bad, "independent PDF/UA checkers found errors:\n" + "\n".join(bad)
    return {v.path: v.warnings for v in verdicts}
