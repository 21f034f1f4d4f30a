"""Sending: one message per recipient, under a lock, marked in the ledger so that nothing is sent twice."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import BuildError, Problem, SourceLocation
from .recipients import (
    Recipient,
)

if TYPE_CHECKING:

    pass

from .batch import Batch, Made, template_context
from .options import LEDGER_NAME, Options
from .packages import _inside

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What happened to one copy in this run."""

    made: Made
    """The copy."""
    status: str
    """`sent`, `already sent`, `changed`, `uncertain`, `failed`, `not attempted`, or `would send` (dry run)."""
    response: str = ""
    """The server's answer or the reason."""


def message_id(batch: Batch, r: Recipient, copies: list[Made], domain: str) -> str:
    """A Message-ID that is the same whenever the same copies go to the same person (receivers may de-duplicate)."""
    key = "\n".join([batch.name, r.key] + sorted(m.content_sha256 for m in copies))
    return f"<pressroom.{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


def _copy_key(m: Made):
    from .ledger import CopyKey
    return CopyKey(m.plan.recipient.key, m.plan.edition.id, m.plan.language, m.content_sha256)


def _by_recipient(copies: list[Made]) -> list[tuple[Recipient, list[Made]]]:
    out: dict[int, tuple[Recipient, list[Made]]] = {}
    for m in copies:
        out.setdefault(m.plan.recipient.index, (m.plan.recipient, []))[1].append(m)
    return list(out.values())


def dry_run(batch: Batch, copies: list[Made]) -> list[Outcome]:
    """What --send would do now, from the ledger if there is one."""
    from .ledger import CHANGED, NEW, SENT, UNCERTAIN, read_states
    states = read_states(batch.folder / LEDGER_NAME, [_copy_key(m) for m in copies])
    names = {NEW: "would send", SENT: "already sent", CHANGED: "changed", UNCERTAIN: "uncertain"}
    return [Outcome(m, names[states[_copy_key(m)]]) for m in copies]


@contextlib.contextmanager
def batch_lock(folder: Path):
    """Hold an exclusive lock on the batch for the whole run, so that two runs cannot both write or send."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / ".lock"
    f = open(path, "a+b")  # noqa: SIM115 - held for the duration of the context
    try:
        try:
            import fcntl
        except ImportError:  # Windows: no advisory locks; a second run is the user's responsibility
            fcntl = None
        if fcntl is not None:
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                raise BuildError([Problem(SourceLocation.of(path), "another `distribute` run is using this "
                                                                   "batch (wait for it to finish)")]) from None
        yield
    finally:
        f.close()


def send_all(batch: Batch, copies: list[Made], opts: Options, root: Path, progress=None) -> list[Outcome]:
    """Send each recipient the copies not sent yet, recording intent and result in the ledger."""
    from .ledger import CHANGED, NEW, SENT, UNCERTAIN, Ledger
    from .mail import (
        ConnectionFailed,
        FatalError,
        Mailer,
        PermanentError,
        SendError,
        TransientError,
        UncertainError,
        build_message,
        render_draft,
    )
    outcomes: list[Outcome] = []
    stop: str | None = None
    mailer = Mailer(opts.smtp)
    with Ledger(batch.folder / LEDGER_NAME) as ledger:
        try:
            for r, made in _by_recipient(copies):
                todo = []
                for m in made:
                    state = ledger.state(_copy_key(m))
                    if state == SENT:
                        outcomes.append(Outcome(m, "already sent"))
                    elif state == CHANGED and not opts.resend_changed:
                        outcomes.append(Outcome(m, "changed", "another version was sent (use --resend-changed)"))
                    elif state == UNCERTAIN and not opts.resend_uncertain:
                        outcomes.append(Outcome(m, "uncertain", "the last attempt may have been delivered: check, "
                                                                "then use --resend-uncertain"))
                    else:
                        assert state in (NEW, CHANGED, UNCERTAIN)
                        todo.append(m)
                if not todo:
                    if progress:
                        progress()
                    continue
                if stop is not None:
                    outcomes += [Outcome(m, "not attempted", stop) for m in todo]
                    if progress:
                        progress()
                    continue
                draft = render_draft(root, r.audience, r.language,
                                     template_context(batch, r, [m.plan for m in todo]))
                attachments = [(m.plan.file, _inside(batch.folder, m.plan.rel).read_bytes()) for m in todo]
                for m, (_, data) in zip(todo, attachments):
                    if hashlib.sha256(data).hexdigest() != m.sha256:
                        raise BuildError([Problem(SourceLocation.of(batch.folder / m.plan.rel),
                                                  "changed since it was made (run distribute again)")])
                mid = message_id(batch, r, todo, opts.sender.domain)
                msg = build_message(draft, opts.sender, r, attachments, mid)
                ids = ledger.intend(mid, r.name, [(_copy_key(m), m.sha256) for m in todo])
                status, response = "failed", ""
                for attempt in range(opts.retries + 1):
                    ledger.attempt(ids)
                    try:
                        response = mailer.send(msg, opts.sender.addr_spec, r.email,
                                               on_transmitted=lambda: ledger.transmitted(ids))
                        status = SENT
                    except UncertainError as exc:
                        status, response = UNCERTAIN, exc.response
                    except FatalError as exc:
                        status, response, stop = "failed", exc.response, f"sending stopped: {exc.response}"
                    except PermanentError as exc:
                        status, response = "failed", exc.response
                    except TransientError as exc:
                        status, response = "failed", exc.response
                        if attempt < opts.retries:
                            ledger.result(ids, "failed", response)
                            wait = opts.backoff * 2 ** attempt
                            log.info("temporary failure for recipient %d (%s); retrying in %.1f s",
                                     r.index, response, wait)
                            time.sleep(wait)
                            continue
                        if isinstance(exc, ConnectionFailed):
                            stop = f"the server could not be reached ({response})"
                    except SendError as exc:  # pragma: no cover - every kind is handled above
                        status, response = "failed", exc.response
                    break
                ledger.result(ids, status, response)
                log.debug("%s: %s", r.email, response)
                label = {SENT: "sent", UNCERTAIN: "uncertain"}.get(status, "failed")
                outcomes += [Outcome(m, label, response) for m in todo]
                if progress:
                    progress()
        finally:
            mailer.close()
    order = {m.plan.rel: i for i, m in enumerate(copies)}
    return sorted(outcomes, key=lambda o: order[o.made.plan.rel])
