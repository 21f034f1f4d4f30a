"""The options of `distribute`: parsed, checked, and turned into one frozen record."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import BuildError, Problem, SourceLocation

if TYPE_CHECKING:
    from email.headerregistry import Address

    from .mail import SmtpSettings


log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `pressroom distribute`."""
    g = parser.add_argument_group("copies and packages")
    g.add_argument("--recipients", type=Path, required=True, metavar="PATH",
                   help="recipients CSV or YAML file (keep real lists outside git)")
    g.add_argument("--batch", metavar="NAME",
                   help="batch folder under OUT/distribution/ (default: recipients file name and content hash)")
    g.add_argument("--date", metavar="YYYY-MM-DD", help="date printed on the copies (default: the publication date)")
    g.add_argument("--jobs", type=int, default=0, metavar="N",
                   help="copies stamped at once, in worker processes (default: one per core)")
    g.add_argument("--executor", choices=("local", "dask"), default="local",
                   help="where copies are stamped: here (default) or on a dask.distributed cluster")
    g.add_argument("--scheduler", metavar="ADDRESS",
                   help="with --executor dask: the scheduler (tcp://host:8786); default: a local cluster of --jobs workers")
    g.add_argument("--restrict", action="store_true",
                   help=f"forbid editing the copies (owner password from ${OWNER_PASSWORD_ENV})")
    s = parser.add_argument_group("sending (without --send: a dry run that makes the packages and lists the messages)")
    s.add_argument("--send", action="store_true", help="e-mail each recipient their copies")
    s.add_argument("--smtp-host", metavar="HOST", help="SMTP server")
    s.add_argument("--smtp-port", type=int, metavar="PORT", help="SMTP port (default: 587, 465 with tls, 25 with none)")
    s.add_argument("--smtp-security", choices=("starttls", "tls", "none"), default="starttls",
                   help="starttls (default), tls, or none (localhost only, for testing)")
    s.add_argument("--smtp-user", metavar="USER", help=f"SMTP login (password from ${SMTP_PASSWORD_ENV})")
    s.add_argument("--from", dest="sender", metavar="ADDRESS", help="sender: address or 'Name <address>'")
    s.add_argument("--retries", type=int, default=3, metavar="N",
                   help="retries of a message after a temporary failure (default: 3)")
    s.add_argument("--backoff", type=float, default=2.0, metavar="SECONDS",
                   help="first wait before a retry, doubled each time (default: 2)")
    s.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS", help="SMTP timeout (default: 30)")
    s.add_argument("--resend-changed", action="store_true",
                   help="send again the copies whose edition changed since they were sent")
    s.add_argument("--resend-uncertain", action="store_true",
                   help="send again the messages whose last attempt may or may not have been delivered")


@dataclass(frozen=True)
class Options:
    """The distribute command's settings, checked."""

    manuscript: Path
    """Manuscript folder."""
    out: Path
    """Output folder holding the built editions."""
    recipients: Path
    """Recipients file."""
    batch: str | None
    """Batch name, or None for the default."""
    date: str | None
    """Date printed on the copies, or None for the publication date."""
    send: bool = False
    """Send, or only make the packages (dry run)."""
    smtp: SmtpSettings | None = None
    """Where and how to send (with --send)."""
    sender: Address | None = None
    """The sender (with --send)."""
    retries: int = 3
    """Retries after a temporary failure."""
    backoff: float = 2.0
    """First wait between retries, in seconds."""
    resend_changed: bool = False
    """Send again copies whose edition changed."""
    resend_uncertain: bool = False
    """Send again messages whose fate is unknown."""
    owner_password: str | None = field(default=None, repr=False)
    """Owner password of restricted copies (from the environment), or None."""
    jobs: int = 0
    """Stamping tasks at once (0: one per core)."""
    executor: str = "local"
    """Where copies are stamped: `local` or `dask`."""
    scheduler: str | None = None
    """With `dask`: the scheduler's address, or None for a local cluster."""
    quiet: bool = False
    """Print errors only."""
    strict: bool = False
    """Treat warnings as errors."""


def _arg_error(option: str, message: str) -> Problem:
    return Problem(SourceLocation(option), message)


def options_from(args) -> Options:
    """Check the command line and the environment; every problem at once."""
    from .mail import DEFAULT_PORTS, LOCAL_HOSTS, SmtpSettings, parse_sender
    problems: list[Problem] = []
    if args.date is not None:
        try:
            dt.date.fromisoformat(args.date)
        except ValueError:
            problems.append(_arg_error("--date", f"date '{args.date}' is not a date (expected YYYY-MM-DD)"))
    if args.batch is not None and (not BATCH_RE.match(args.batch) or ".." in args.batch):
        problems.append(_arg_error("--batch", f"batch name '{args.batch}' must be letters, digits, dots, dashes "
                                              "and underscores (expected e.g. autumn-2009)"))
    if args.retries < 0:
        problems.append(_arg_error("--retries", f"--retries must be 0 or more (got {args.retries})"))
    if args.backoff < 0:
        problems.append(_arg_error("--backoff", f"--backoff must be 0 or more seconds (got {args.backoff})"))
    owner = None
    if args.restrict:
        owner = os.environ.get(OWNER_PASSWORD_ENV)
        if not owner:
            problems.append(_arg_error("--restrict", f"--restrict needs the owner password in the "
                                                     f"{OWNER_PASSWORD_ENV} environment variable"))
    smtp = sender = None
    if args.send:
        if not args.smtp_host:
            problems.append(_arg_error("--smtp-host", "--send needs --smtp-host (the SMTP server)"))
        if not args.sender:
            problems.append(_arg_error("--from", "--send needs --from (the sender's address)"))
        else:
            try:
                sender = parse_sender(args.sender)
            except BuildError as exc:
                problems.extend(exc.problems)
        if args.smtp_security == "none" and args.smtp_host and args.smtp_host not in LOCAL_HOSTS:
            problems.append(_arg_error("--smtp-security", "--smtp-security none sends the copies and any password "
                                                          "in clear; it is allowed only for localhost "
                                                          "(expected starttls or tls)"))
        password = os.environ.get(SMTP_PASSWORD_ENV) or None
        if args.smtp_user and not password:
            problems.append(_arg_error("--smtp-user", f"--smtp-user needs the password in the {SMTP_PASSWORD_ENV} "
                                                      "environment variable"))
        if args.smtp_port is not None and not 0 < args.smtp_port < 65536:
            problems.append(_arg_error("--smtp-port", f"port {args.smtp_port} is not a TCP port"))
        if not problems:
            smtp = SmtpSettings(args.smtp_host, args.smtp_port or DEFAULT_PORTS[args.smtp_security],
                                args.smtp_security, args.smtp_user, password if args.smtp_user else None,
                                args.timeout, sender.domain)
    if problems:
        raise BuildError(problems)
    return Options(args.manuscript, args.out, args.recipients, args.batch, args.date, args.send, smtp, sender,
                   args.retries, args.backoff, args.resend_changed, args.resend_uncertain, owner,
                   args.jobs, args.executor, args.scheduler, args.quiet, args.strict)


BATCH_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")


PACKAGE_RE = re.compile(r"^\d{3,}-[a-z0-9-]+(\.zip)?$")


SMTP_PASSWORD_ENV = "SMTP_PASSWORD"
"""Environment variable holding the SMTP password (the only place it is read from)."""


OWNER_PASSWORD_ENV = "PRESSROOM_OWNER_PASSWORD"
"""Environment variable holding the owner password of restricted copies."""


LEDGER_NAME = "ledger.sqlite"
"""The batch's sending ledger."""
