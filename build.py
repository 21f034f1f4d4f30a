#!/usr/bin/env python3
"""Build the Will to Intervene report, its briefs and personalised copies: see README.md.

The same as the `pressroom` command (a thin shim kept for `python build.py`)."""

import sys

try:
    from pressroom.cli import run
except ModuleNotFoundError as exc:  # run before installing
    sys.stderr.write(f"pressroom is not installed ({exc}).\nRun: scripts/setup.sh && .venv/bin/pressroom\n")
    sys.exit(2)

if __name__ == "__main__":
    run()
