"""Translations: a mirrored `manuscript/<lang>/` tree, each file recording the English source it translates."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from ..errors import BuildError, Problems, describe, expected, suggest
from ..model import Recommendation, Section, Texts
from . import config
from .book import clean_markdown, read_book_source
from .frontmatter import read_source
from .layout import SECTION_DIRS, TRANSLATED_RECOMMENDATION_KEYS, sha256_text
from .yamlfile import read_text

SECTION_TRANSLATION_KEYS = {"title", "short_title", "id", "audience", "source_sha256"}
HASH_RE = re.compile(r"^[0-9a-f]{64}$")


def translation_path(root: Path, lang: str, rel: str) -> Path:
    """Where the translation of `rel` into `lang` lives."""
    return root / lang / rel


def _status(p: Problems, path: Path, meta, source_hash: str, rel: str) -> None:
    recorded = meta.get("source_sha256")
    if recorded is None:
        p.warning(path, meta.line or 1, f"translation does not record its English source (expected "
                                        f"'source_sha256:'; run: pressroom sign-off {path.as_posix()})")
    elif not isinstance(recorded, str) or not HASH_RE.match(recorded):
        p.error(path, meta.line_of("source_sha256"), "source_sha256 must be 64 hexadecimal digits")
    elif recorded != source_hash:
        p.warning(path, meta.line_of("source_sha256"),
                  f"stale translation: {rel} has changed since it was translated "
                  f"(update it, then run: pressroom sign-off {path.as_posix()})")


def _shown(value: object) -> str:
    return f"'{value}'" if isinstance(value, str) else describe(value)


def _text(p: Problems, path: Path, meta, key: str, fallback: str, required: bool) -> str:
    """A text field of a translation's front matter; the original's text when absent and not required."""
    value = meta.get(key)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            p.error(path, meta.line_of(key) if key in meta else (meta.line or 1),
                    f"missing '{key}' in front matter (expected the translated {key.replace('_', ' ')})")
        return fallback
    if not isinstance(value, str):
        p.error(path, meta.line_of(key), f"'{key}' must be text (got {describe(value)}; "
                                         "expected text, in quotes if it starts with [ or {)")
        return fallback
    return value.strip()


def _read_translation(p: Problems, path: Path, rel: str, lang: str, allowed: set[str], where: str,
                      original: str = "the original", book: bool = False):
    """The translated file's source, or None (with the problem recorded) when missing or unreadable.

    A missing translation is a warning (an error with --strict): the original's text stands in."""
    if not path.is_file():
        p.warning(path, None, f"missing translation of {rel}: the {original} text is used instead "
                              f"(expected a {lang} file at this path)")
        return None
    if book:
        try:
            src, title = read_book_source(path)
        except BuildError as exc:
            p.extend(exc.problems)
            return None
        if not src.meta.get("title"):
            src.meta["title"] = title
        return src
    try:
        src = read_source(path)
    except BuildError as exc:
        p.extend(exc.problems)
        return None
    note = "; rubric, country and audiences come from the original" if where else ""
    for key in src.meta:
        if key not in allowed:
            p.error(path, src.meta.line_of(key), f"unknown front matter key '{key}'{where}"
                    f"{suggest(str(key), allowed)} (expected {expected(allowed)}{note})")
    return src


def load_translation(root: Path, lang: str, base: Texts, p: Problems) -> Texts | None:
    """The texts in `lang`; a missing file is an error naming it, a stale one a warning."""
    tree = root / lang
    try:
        publication = config.load_publication(tree / "publication.yml", base.publication) \
            if (tree / "publication.yml").is_file() else replace(base.publication, language=lang,
                                                                 locale={"fr": "fr_CA"}.get(lang, lang))
    except BuildError as exc:
        p.extend(exc.problems)
        return None
    sections: list[Section] = []
    book = bool(base.publication.chapters)
    original = _language_name(base.language)
    for s in base.sections:
        path = translation_path(root, lang, s.rel)
        src = _read_translation(p, path, s.rel, lang, SECTION_TRANSLATION_KEYS, "", original, book)
        if src is None:
            if not path.is_file():
                sections.append(s)  # partial translation: the original stands in
            continue
        if src.meta.get("id", s.id if s.kind != "brief" else None) not in (s.id, None) and s.kind != "brief":
            p.error(path, src.meta.line_of("id"), f"translated id {_shown(src.meta.get('id'))} differs from the original "
                                                  f"(expected id: {s.id}; ids never change in translation)")
        if not (book and src.meta.get("source_sha256") is None):
            _status(p, path, src.meta, s.sha256, s.rel)
        title = _text(p, path, src.meta, "title", s.title, required=True)
        short = _text(p, path, src.meta, "short_title", "", required=False) or title
        body, warnings = clean_markdown(src.body, path, src.body_line)
        p.extend(warnings)
        sections.append(replace(s, title=str(title).strip(), short_title=str(short).strip(), path=path,
                                body=body, body_line=src.body_line, sha256=sha256_text(src.raw)))
    recs: list[Recommendation] = []
    for r in base.recommendations:
        rel = f"recommendations/{r.path.name}"
        path = translation_path(root, lang, rel)
        src = _read_translation(p, path, rel, lang, TRANSLATED_RECOMMENDATION_KEYS,
                                " in a translated recommendation", original)
        if src is None:
            if not path.is_file():
                recs.append(r)
            continue
        if src.meta.get("id") != r.id:
            got = src.meta.get("id")
            what = f"id {_shown(got)} differs from the original" if got is not None else "has no 'id'"
            p.error(path, src.meta.line_of("id"),
                    f"translated recommendation {what} (expected id: {r.id}; ids never change in translation)")
        _status(p, path, src.meta, r.sha256, rel)
        recs.append(replace(r, title=_text(p, path, src.meta, "title", r.title, required=False),
                            summary=_text(p, path, src.meta, "summary", r.summary, required=False),
                            body=src.body, path=path, body_line=src.body_line, sha256=sha256_text(src.raw)))
    return Texts(lang, publication, tuple(sections), tuple(recs))


def _language_name(code: str) -> str:
    """`en` -> `English`, for messages."""
    try:
        import babel
        return babel.Locale.parse(code).get_display_name("en").split(" (")[0]
    except Exception:  # noqa: BLE001 - any unknown code is shown as it is
        return code


def sign_off(root: Path, translated: Path) -> str:
    """Record in a translation's front matter the hash of its current English source."""
    translated = translated.resolve()
    root = root.resolve()
    if not translated.is_file():
        raise BuildError.at(translated, None, "file not found (expected a translated file under manuscript/<lang>/)")
    try:
        rel_parts = translated.relative_to(root).parts
    except ValueError:
        raise BuildError.at(translated, None, f"not in the manuscript (expected a translated file under "
                                              f"{root}/<lang>/)") from None
    if len(rel_parts) < 2 or rel_parts[0] in {d for d, _ in SECTION_DIRS} | {"recommendations"}:
        raise BuildError.at(translated, None, "not a translation (expected a file under manuscript/<lang>/)")
    source = root.joinpath(*rel_parts[1:])
    if not source.is_file():
        raise BuildError.at(translated, None, f"no English source at {source} to sign off against")
    digest = sha256_text(read_text(source))
    text = read_text(translated)
    if not text.startswith("---\n") or "\n---" not in text[3:]:
        raise BuildError.at(translated, 1, "no front matter to record the English source's hash in (expected "
                                           "a translated chapter or recommendation starting with ---)")
    end = text.index("\n---", 3) + 1  # the hash is recorded in the front matter, never in the body
    front, body = text[:end], text[end:]
    if re.search(r"^source_sha256:.*$", front, flags=re.M):
        front = re.sub(r"^source_sha256:.*$", f"source_sha256: {digest}", front, count=1, flags=re.M)
    else:
        front = front.replace("---\n", f"---\nsource_sha256: {digest}\n", 1)
    text = front + body
    translated.write_text(text, encoding="utf-8")
    return digest
