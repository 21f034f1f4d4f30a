"""The sending ledger: an SQLite record of every message, written before and after each attempt."""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from pathlib import Path

SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sends (
    id INTEGER PRIMARY KEY,
    message_id TEXT NOT NULL,
    recipient TEXT NOT NULL,
    name TEXT NOT NULL,
    edition TEXT NOT NULL,
    language TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'failed', 'uncertain')),
    attempts INTEGER NOT NULL DEFAULT 0,
    intent_at TEXT NOT NULL,
    result_at TEXT,
    response TEXT
);
CREATE INDEX IF NOT EXISTS sends_copy ON sends (recipient, edition, language);
"""

NEW, SENT, CHANGED, UNCERTAIN = "new", "sent", "changed", "uncertain"
"""States of a copy with respect to the ledger."""


@dataclass(frozen=True)
class CopyKey:
    """What identifies a copy in the ledger."""

    recipient: str
    """Recipient address, lower-case."""
    edition: str
    """Edition id."""
    language: str
    """Language code."""
    sha256: str
    """Hash of the personalised copy's content (before any encryption)."""


def now() -> str:
    """UTC time for the ledger (a log, not an output: the clock is fine here)."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class Ledger:
    """`ledger.sqlite` of a batch. Each state change is committed (and synced) before the next step,
    so a crash or a kill leaves rows saying exactly how far each message got."""

    def __init__(self, path: Path, readonly: bool = False):
        self.path = path
        if readonly:
            self.db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), isolation_level=None)
        self.db.execute("PRAGMA synchronous = FULL")
        self.db.execute("PRAGMA journal_mode = DELETE")
        self.db.executescript(SCHEMA)
        self.db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))

    def close(self) -> None:
        """Close the database."""
        self.db.close()

    def __enter__(self) -> "Ledger":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def state(self, key: CopyKey) -> str:
        """`sent` (this very copy was sent), `uncertain` (its last attempt may or may not have reached the
        server), `changed` (another version of it was sent), or `new` (never sent, or only failed)."""
        rows = self.db.execute(
            "SELECT sha256, status FROM sends WHERE recipient = ? AND edition = ? AND language = ? ORDER BY id",
            (key.recipient, key.edition, key.language)).fetchall()
        same = [status for sha, status in rows if sha == key.sha256]
        if SENT in same:
            return SENT
        # `sending` means the run stopped before the message's final line was sent, so the server
        # delivered nothing: safe to send. `uncertain` means it may have had the whole message.
        if same and same[-1] == UNCERTAIN:
            return UNCERTAIN
        if any(status == SENT for sha, status in rows if sha != key.sha256):
            return CHANGED
        return NEW

    def intend(self, message_id: str, name: str, copies: list[tuple[CopyKey, str]]) -> list[int]:
        """Record that a message with these copies (key, file sha256) is about to be sent; the row ids."""
        ids = []
        t = now()
        with self.db:
            self.db.execute("BEGIN")
            for key, file_sha in copies:
                cur = self.db.execute(
                    "INSERT INTO sends (message_id, recipient, name, edition, language, sha256, file_sha256, "
                    "status, attempts, intent_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'sending', 0, ?)",
                    (message_id, key.recipient, name, key.edition, key.language, key.sha256, file_sha, t))
                ids.append(cur.lastrowid)
        return ids

    def attempt(self, ids: list[int]) -> None:
        """Record that an attempt starts (status `sending`, one more attempt)."""
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("UPDATE sends SET status = 'sending', attempts = attempts + 1 WHERE id = ?",
                                [(i,) for i in ids])

    def transmitted(self, ids: list[int]) -> None:
        """Record that all but the final line of the message is with the server: from here on, a run
        that stops cannot know whether the message was delivered."""
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("UPDATE sends SET status = 'uncertain' WHERE id = ?", [(i,) for i in ids])

    def result(self, ids: list[int], status: str, response: str) -> None:
        """Record how an attempt ended: `sent`, `failed` (not delivered) or `uncertain`."""
        if status not in (SENT, "failed", UNCERTAIN):
            raise ValueError(f"unknown status {status!r}")
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("UPDATE sends SET status = ?, result_at = ?, response = ? WHERE id = ?",
                                [(status, now(), response, i) for i in ids])

    def rows(self) -> list[dict]:
        """Every row, oldest first (for reports and tests)."""
        cur = self.db.execute("SELECT * FROM sends ORDER BY id")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]


def read_states(path: Path, keys: list[CopyKey]) -> dict[CopyKey, str]:
    """States of copies from an existing ledger, without creating one (for dry runs)."""
    if not path.is_file():
        return {k: NEW for k in keys}
    with Ledger(path, readonly=True) as ledger:
        return {k: ledger.state(k) for k in keys}
