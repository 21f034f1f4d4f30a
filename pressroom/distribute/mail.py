"""E-mail for the distribution: per-audience templates, messages with the copies attached, one SMTP attempt."""

from __future__ import annotations

import email.policy
import email.utils
import logging
import re
import smtplib
import ssl
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path

import jinja2

from ..errors import BuildError, Problem, SourceLocation
from .recipients import EMAIL_RE, Recipient, control_character

log = logging.getLogger(__name__)

SECURITY_CHOICES = ("starttls", "tls", "none")
"""How the SMTP connection is protected."""
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}
"""Port used when --smtp-port is not given."""
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
"""Hosts allowed with --smtp-security none."""
MAX_SUBJECT = 250
"""Longest subject accepted, in characters."""


@dataclass(frozen=True)
class Draft:
    """The subject and body rendered for one recipient."""

    subject: str
    """Subject line (one line, no control characters)."""
    body: str
    """Plain-text body."""
    template: Path
    """Template it came from."""


def template_path(root: Path, audience: str, language: str) -> Path | None:
    """`email/<audience>.<lang>.txt.j2`, else `email/default.<lang>.txt.j2`, else None."""
    for name in (f"{audience}.{language}.txt.j2", f"default.{language}.txt.j2"):
        path = root / "email" / name
        if path.is_file():
            return path
    return None


def _environment(folder: Path) -> jinja2.Environment:
    # Plain text: no HTML escaping. Recipient fields cannot reach the headers unchecked: they are free of
    # control characters (recipients.py) and the rendered subject is checked again below.
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(folder)), autoescape=False,
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                              trim_blocks=True, lstrip_blocks=True)


_ENVIRONMENTS: dict[Path, jinja2.Environment] = {}


def _template_line(exc: BaseException, filename: str) -> int | None:
    """Line of the template where rendering failed (Jinja2 rewrites tracebacks to template lines)."""
    tb, line = exc.__traceback__, None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def render_draft(root: Path, audience: str, language: str, context: dict) -> Draft:
    """Render the template of an audience and language; problems are a located BuildError."""
    path = template_path(root, audience, language)
    if path is None:
        raise BuildError.at(root / "email", None,
                            f"no e-mail template for audience '{audience}' in '{language}' (expected "
                            f"{audience}.{language}.txt.j2 or default.{language}.txt.j2)")
    folder = path.parent.resolve()
    env = _ENVIRONMENTS.setdefault(folder, _environment(folder))
    try:
        template = env.get_template(path.name)
        text = template.render(**context)
    except jinja2.TemplateSyntaxError as exc:
        raise BuildError.at(path, exc.lineno, f"template syntax error: {exc.message}") from None
    except jinja2.UndefinedError as exc:
        raise BuildError.at(path, _template_line(exc, str(folder / path.name)),
                            f"{exc.message} (expected one of: {', '.join(sorted(context))})") from None
    first, _, rest = text.partition("\n")
    if not first.startswith("Subject:"):
        raise BuildError.at(path, 1, f"the first line must be 'Subject: ...' (got {first[:60]!r})")
    subject = first[len("Subject:"):].strip(" \t")
    char = control_character(subject)
    if char is not None:
        raise BuildError.at(path, 1, f"the rendered subject contains a control character (U+{ord(char):04X})")
    if not subject:
        raise BuildError.at(path, 1, "the subject is empty (expected 'Subject: ...' with some text)")
    if len(subject) > MAX_SUBJECT:
        raise BuildError.at(path, 1, f"the rendered subject is {len(subject)} characters long "
                                     f"(expected at most {MAX_SUBJECT})")
    return Draft(subject, rest.strip("\n") + "\n", path)


def parse_sender(value: str) -> Address:
    """`--from`: `Name <address>` or `address`, checked like a recipient's address."""
    if control_character(value) is not None:
        raise BuildError([Problem(SourceLocation("--from"), "the sender contains a control character")])
    name, addr = email.utils.parseaddr(value)
    if not addr or not EMAIL_RE.match(addr):
        raise BuildError([Problem(SourceLocation("--from"), f"sender address '{value}' is not valid "
                                                            "(expected name@domain or 'Name <name@domain>')")])
    user, _, domain = addr.rpartition("@")
    return Address(display_name=name, username=user, domain=domain)


def build_message(draft: Draft, sender: Address, recipient: Recipient, attachments: list[tuple[str, bytes]],
                  message_id: str) -> EmailMessage:
    """A text message with the PDF copies attached. Headers are set through EmailMessage, which folds and
    encodes them and refuses line breaks."""
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = sender
    user, _, domain = recipient.email.rpartition("@")
    msg["To"] = Address(display_name=recipient.name, username=user, domain=domain)
    msg["Subject"] = draft.subject
    msg["Date"] = email.utils.formatdate(usegmt=True)
    msg["Message-ID"] = message_id
    msg["Content-Language"] = recipient.language
    msg.set_content(draft.body)
    for name, data in attachments:
        msg.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    return msg


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send."""

    host: str
    """SMTP server."""
    port: int
    """SMTP port."""
    security: str
    """`starttls`, `tls` or `none`."""
    user: str | None
    """Login, or None to send without authenticating."""
    password: str | None = field(default=None, repr=False)
    """From the SMTP_PASSWORD environment variable only; never shown, logged or stored."""
    timeout: float = 30.0
    """Seconds to wait for the server."""
    helo: str = "localhost"
    """Name given in EHLO (the sender's domain)."""


class SendError(Exception):
    """An attempt that did not deliver; `response` is safe to show and store (password removed)."""

    def __init__(self, response: str):
        super().__init__(response)
        self.response = response


class TransientError(SendError):
    """Worth retrying: a 4xx answer, or the connection failed before the message was complete."""


class ConnectionFailed(TransientError):
    """The server could not be reached or the connection broke before the message was complete."""


class PermanentError(SendError):
    """A 5xx answer for this message: retrying will not help."""


class FatalError(SendError):
    """Nothing can be sent with these settings (authentication, TLS): stop the run."""


class UncertainError(SendError):
    """The connection broke after the whole message was transmitted: it may have been accepted."""


def redact(text: str, secret: str | None) -> str:
    """`text` with the secret replaced, and on one line."""
    text = " ".join(str(text).split())
    if secret:
        text = text.replace(secret, "********")
    return text


def _payload(raw: bytes) -> bytes:
    """Message bytes for the DATA command: CRLF lines, leading dots doubled, final dot line."""
    data = re.sub(rb"\r\n|\n|\r", b"\r\n", raw)
    data = re.sub(rb"(?m)^\.", b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


class Mailer:
    """One SMTP connection, opened when first needed and again after it breaks."""

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None

    def _answer(self, code: int, text: bytes | str) -> str:
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        return redact(f"{code} {text}", self.settings.password)

    def connect(self) -> None:
        """Open, secure and log in."""
        s = self.settings
        try:
            if s.security == "tls":
                smtp = smtplib.SMTP_SSL(s.host, s.port, local_hostname=s.helo, timeout=s.timeout,
                                        context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(s.host, s.port, local_hostname=s.helo, timeout=s.timeout)
            smtp.ehlo()
            if s.security == "starttls":
                if not smtp.has_extn("starttls"):
                    smtp.close()
                    raise FatalError(f"{s.host}:{s.port} does not offer STARTTLS (use --smtp-security tls "
                                     "with its TLS port, or another server)")
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
        except ssl.SSLCertVerificationError as exc:
            raise FatalError(redact(f"TLS certificate of {s.host} not accepted: {exc.verify_message}",
                                    s.password)) from None
        except smtplib.SMTPResponseException as exc:
            raise ConnectionFailed(self._answer(exc.smtp_code, exc.smtp_error)) from None
        except OSError as exc:
            raise ConnectionFailed(redact(f"cannot connect to {s.host}:{s.port}: {exc}", s.password)) from None
        if s.user:
            try:
                smtp.login(s.user, s.password or "")
            except smtplib.SMTPAuthenticationError as exc:
                smtp.close()
                raise FatalError(f"authentication as {s.user} refused: "
                                 f"{self._answer(exc.smtp_code, exc.smtp_error)}") from None
            except smtplib.SMTPNotSupportedError:
                smtp.close()
                raise FatalError(f"{s.host} offers no authentication on this connection (with "
                                 "--smtp-security none it may require TLS)") from None
            except smtplib.SMTPException as exc:
                smtp.close()
                raise ConnectionFailed(redact(f"login failed: {exc}", s.password)) from None
        self.smtp = smtp
        log.debug("connected to %s:%s (%s)", s.host, s.port, s.security)

    def close(self) -> None:
        """Say goodbye (best effort)."""
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                self.smtp.close()
            self.smtp = None

    def _drop(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.close()
            finally:
                self.smtp = None

    def _reset(self) -> None:
        try:
            assert self.smtp is not None
            self.smtp.rset()
        except (OSError, smtplib.SMTPException):
            self._drop()

    def _refused(self, code: int, text: bytes) -> SendError:
        self._reset()
        answer = self._answer(code, text)
        return TransientError(answer) if 400 <= code < 500 else PermanentError(answer)

    def send(self, msg: EmailMessage, sender: str, recipient: str, on_transmitted=None) -> str:
        """One attempt to send `msg`; the server's final answer, or a SendError saying what happened.

        `on_transmitted` is called when everything but the final dot line has been sent: a run that
        stops before that call sent nothing; after it, the message may have been delivered."""
        if self.smtp is None:
            self.connect()
        smtp = self.smtp
        assert smtp is not None
        payload = _payload(msg.as_bytes(policy=email.policy.SMTP))
        try:
            code, text = smtp.mail(sender)
            if code != 250:
                raise self._refused(code, text)
            code, text = smtp.rcpt(recipient)
            if code not in (250, 251):
                raise self._refused(code, text)
            code, text = smtp.docmd("DATA")
            if code != 354:
                raise self._refused(code, text)
            # All but the final dot line: until it arrives the server can deliver nothing, so the
            # mark below is committed while a stop still means "not sent".
            smtp.send(payload[:-3])
        except SendError:
            raise
        except (OSError, smtplib.SMTPException) as exc:
            self._drop()
            raise ConnectionFailed(redact(f"connection lost before the message was complete: {exc}",
                                          self.settings.password)) from None
        if on_transmitted is not None:
            on_transmitted()
        # From the final line on, the server may have the whole message: a broken connection leaves
        # its fate unknown.
        try:
            smtp.send(payload[-3:])
            code, text = smtp.getreply()
        except (OSError, smtplib.SMTPException) as exc:
            self._drop()
            raise UncertainError(redact(f"connection lost after the message was transmitted: {exc}",
                                        self.settings.password)) from None
        if code != 250:
            raise self._refused(code, text)
        return self._answer(code, text)
