"""The manuscript's file layout: which folders hold sections, which keys a translation may set, and
the hash that identifies a source file's text."""

from __future__ import annotations

import hashlib

TRANSLATED_RECOMMENDATION_KEYS = {"id", "title", "summary", "source_sha256"}


SECTION_DIRS = (("front", "front"), ("chapters", "chapter"), ("back", "back"), ("briefs", "brief"))


def sha256_text(text: str) -> str:
    """Hex SHA-256 of a text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
