"""Personalised copies, packages, and sending them to recipients, never twice (placeholder)."""

from __future__ import annotations


def add_arguments(parser) -> None:
    """Options of `build.py distribute`."""
    parser.add_argument("--recipients", required=True, help="recipients CSV or YAML file")


def run(args) -> int:
    """Run the distribute command."""
    raise NotImplementedError("distribution is not implemented yet")
