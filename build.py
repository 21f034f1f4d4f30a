#!/usr/bin/env python3
"""Build the Will to Intervene report, its briefs and personalised copies: see README.md."""

import sys

try:
    from pressroom.cli import run
except ModuleNotFoundError as exc:  # run before installing
    sys.stderr.write(f"pressroom is not installed ({exc}).\nRun: python -m venv .venv && "
                     ". .venv/bin/activate && pip install -e .\n")
    sys.exit(2)

if __name__ == "__main__":
    run()
