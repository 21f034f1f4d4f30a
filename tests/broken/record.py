"""Print what each broken case gives now (for writing a new case's expected.txt; review it by eye)."""

import contextlib
import io
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import test_errors  # noqa: E402
from pressroom.cli import main  # noqa: E402

for case in [Path(a) for a in sys.argv[1:]] or test_errors.CASES:
    tmp = Path(tempfile.mkdtemp())
    manuscript, args = test_errors.prepare(case.resolve(), tmp)
    cwd = os.getcwd()
    os.chdir(tmp)
    buf = io.StringIO()
    with contextlib.redirect_stderr(buf):
        code = main([args[0], "--manuscript", str(manuscript.relative_to(tmp)), "--out", "dist", "--quiet", *args[1:]])
    os.chdir(cwd)
    print(f"== {case.name} (exit {code})\n{buf.getvalue()}")
    if "--write" in os.environ.get("RECORD", ""):
        (case / "expected.txt").write_text(buf.getvalue())
