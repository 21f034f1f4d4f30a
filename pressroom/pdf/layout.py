"""WeasyPrint, safely: project-only URL fetcher, project-only fonts, logged errors fail the build."""

from __future__ import annotations

import atexit
import ctypes.util
import hashlib
import logging
import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from ..errors import BuildError, Problem, SourceLocation
from . import patches

log = logging.getLogger(__name__)

PANGO_HELP = ("WeasyPrint needs the Pango library, which is not installed.\n"
              "Install it with:\n    sudo apt-get install -y libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0\n"
              "(on macOS: brew install pango)")


def pango_available() -> bool:
    """Whether the Pango shared library can be found."""
    return ctypes.util.find_library("pango-1.0") is not None or ctypes.util.find_library("pangoft2-1.0") is not None


def font_files() -> list[Path]:
    """The fonts installed with the project's Python packages (no system fonts are used)."""
    import fontpkg_source_sans_3
    import fontpkg_source_serif_4
    files = []
    for pkg in (fontpkg_source_serif_4, fontpkg_source_sans_3):
        files += sorted((Path(pkg.__file__).parent / "files").glob("*.ttf"))
    return files


def fallback_font_files() -> list[Path]:
    """Fonts for the characters the typefaces lack, found by fontconfig's fallback: Noto Sans (Greek,
    Cyrillic, Vietnamese and other Latin, symbols). Emoji are pictures (pressroom.render.emoji)."""
    files = []
    try:
        import fontpkg_noto_sans
        files += sorted((Path(fontpkg_noto_sans.__file__).parent / "files").glob("*.ttf"))
    except ImportError:  # pragma: no cover - a dependency; without it such characters show as missing
        pass
    return files


def font_face_css() -> str:
    """@font-face rules for the packaged fonts (variable fonts: one file per style)."""
    rules = []
    for f in font_files():
        family = "Source Serif 4" if "Serif" in f.name else "Source Sans 3"
        style = "italic" if "Italic" in f.name else "normal"
        rules.append(f'@font-face {{ font-family: "{family}"; font-style: {style}; '
                     f'src: url("{f.as_uri()}"); }}')
    return "\n".join(rules)


def configure_fontconfig(cache_dir: Path) -> None:
    """Point fontconfig at the packaged fonts only, before Pango starts.

    The output must not depend on which fonts the machine happens to have; a glyph missing from the
    project's fonts then shows as missing instead of silently coming from a system font."""
    if os.environ.get("PRESSROOM_FONTCONFIG_SET"):
        return
    cache_dir = cache_dir.resolve()
    cache_dir.mkdir(parents=True, exist_ok=True)
    dirs = sorted({str(f.parent) for f in font_files()})
    fallback = "".join(f"  <dir>{d}</dir>\n" for d in sorted({str(f.parent) for f in fallback_font_files()}) if d not in dirs)
    conf = cache_dir / "fonts.conf"
    text = ('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
            + "".join(f"  <dir>{d}</dir>\n" for d in dirs) + fallback
            + f"  <cachedir>{cache_dir / 'fontconfig'}</cachedir>\n</fontconfig>\n")
    if not conf.exists() or conf.read_text() != text:
        conf.write_text(text)
    os.environ["FONTCONFIG_FILE"] = str(conf)
    os.environ["PRESSROOM_FONTCONFIG_SET"] = "1"


@dataclass(frozen=True)
class UrlLocator:
    """Where the sources of a document ask for a URL: the fetcher that refuses one records the
    `path:line` of the Markdown or stylesheet line that names it (sent to workers with the task)."""

    sources: tuple[tuple[str, int, str], ...]
    """Each source: its path, the line its text starts at, its text."""
    roots: tuple[str, ...] = ()
    """Folders that sources name files relative to (the manuscript, the styles)."""

    def __call__(self, url: str) -> SourceLocation | None:
        needles = [url, url.replace("file://", "")]
        if url.startswith("file:"):
            path = unquote(urlparse(url).path)
            needles += [os.path.relpath(path, root) for root in self.roots]
        for needle in needles:
            for path, first, text in self.sources:
                for i, line in enumerate(text.split("\n")):
                    if needle and needle in line:
                        return SourceLocation.of(Path(path), first + i)
        return None


def make_fetcher(allowed: list[Path], source: str, locate: UrlLocator | None = None):
    """A URL fetcher that serves only files under `allowed` folders and `data:` URIs.

    Anything else (the network, other files, `..` or symlinks leading out) is refused and recorded
    in `.refused` with where it was asked for (`locate`, else the document's `source`); the build
    then fails at that place."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    roots = [a.resolve() for a in allowed]

    class SafeFetcher(URLFetcher):
        def __init__(self):
            super().__init__(allowed_protocols=("file", "data"), allow_redirects=False, timeout=1)
            self.refused: list[str] = []
            self.refused_at: dict[str, SourceLocation] = {}
            self.source = source

        def allows(self, path: Path) -> bool:
            real = path.resolve()
            return any(real == r or r in real.parents for r in roots)

        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            parsed = urlparse(url)
            if parsed.scheme == "file" and not parsed.netloc:
                path = Path(unquote(parsed.path))
                if self.allows(path) and path.is_file():
                    return URLFetcherResponse(url, path.read_bytes())
            self.refused.append(url)
            self.refused_at.setdefault(url, (locate(url) if locate else None) or SourceLocation(source))
            raise ValueError(f"pressroom refused to load {url!r}: only files of the project may be read")

    return SafeFetcher()


@dataclass(frozen=True)
class LaidOut:
    """A laid-out document, before it is written."""

    document: object
    """The WeasyPrint Document."""
    pages: int
    """Page count."""
    anchor_pages: dict
    """Anchor id to 0-based page index."""
    page_anchors: tuple
    """For each page, the anchor ids that start on it, in order."""
    fetcher: object = None
    """The URL fetcher, whose refusals are checked again when the PDF is written (attachments)."""
    page_kinds: tuple = ()
    """For each page, (name of the @page rule it took, or "", whether it is a blank page)."""


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@contextmanager
def captured_weasyprint_log():
    """Collect WeasyPrint's warnings and errors (it logs them and carries on)."""
    wlog = logging.getLogger("weasyprint")
    handler = _Capture()
    wlog.addHandler(handler)
    old, old_propagate = wlog.level, wlog.propagate
    wlog.setLevel(logging.WARNING)
    wlog.propagate = False  # pressroom reports them itself, located
    try:
        yield handler.records
    finally:
        wlog.removeHandler(handler)
        wlog.setLevel(old)
        wlog.propagate = old_propagate


def layout(html: str, base_dir: Path, stylesheets: tuple[Path, ...], allowed: list[Path],
           source: str, cache_dir: Path, locate: UrlLocator | None = None) -> LaidOut:
    """Lay out an HTML document with WeasyPrint under pressroom's rules (`source`: the document's
    declaration, for messages; `locate`: where its sources name a URL, for refusals)."""
    if not pango_available():
        raise BuildError([Problem(SourceLocation("pango"), PANGO_HELP)])
    configure_fontconfig(cache_dir)
    import weasyprint

    fetcher = make_fetcher(allowed + [f.parent for f in font_files()], source, locate)
    shared = shared_stylesheets(stylesheets, allowed)
    with captured_weasyprint_log() as records:
        if shared is not None:
            fonts, css = shared
        else:  # parsed for this document alone, so that what goes wrong is reported with its source
            fonts = _font_configuration()
            css = _parse_stylesheets(stylesheets, fonts, fetcher)
        doc = weasyprint.HTML(string=html, base_url=base_dir.resolve().as_uri() + "/", url_fetcher=fetcher).render(
            stylesheets=css, font_config=fonts, pdf_tags=True, pdf_variant="pdf/ua-1")
    problems = []  # refusals are reported by write_pdf, with those of attachments fetched there
    for r in records:
        msg = r.getMessage()
        if r.levelno >= logging.ERROR or "Failed to load" in msg or "ignored" in msg.lower() and "invalid" in msg.lower() \
                or "No anchor" in msg or "Unknown" in msg:
            if "refused to load" in msg:
                continue
            problems.append(Problem(SourceLocation(source), f"renderer: {msg}"))
        else:
            log.debug("weasyprint: %s", msg)
    if problems:
        raise BuildError(problems)
    anchor_pages, page_anchors, kinds = {}, [], []
    for i, page in enumerate(doc.pages):
        names = list(page.anchors)
        page_anchors.append(tuple(names))
        for name in names:
            anchor_pages.setdefault(name, i)
        page_type = patches.page_type(page)
        kinds.append((page_type.name or "", bool(page_type.blank)))
    return LaidOut(doc, len(doc.pages), anchor_pages, tuple(page_anchors), fetcher, tuple(kinds))



def _parse_stylesheets(stylesheets: tuple[Path, ...], fonts, fetcher) -> list:
    import weasyprint
    css = [weasyprint.CSS(string=font_face_css(), font_config=fonts, url_fetcher=fetcher)]
    return css + [weasyprint.CSS(filename=str(s), font_config=fonts, url_fetcher=fetcher) for s in stylesheets]


_SHARED: dict[tuple, tuple] = {}
"""Stylesheets parsed once: (stylesheets, allowed) -> (signature, FontConfiguration, [CSS], files read,
the process that parsed them)."""
_OWN: list = []
"""Font configurations made in this process for one document each (see release_fonts)."""


def _remove_folder(fonts) -> None:
    # WeasyPrint copies the fonts of @font-face rules into a temporary folder per font configuration
    # (3 MB here) and removes it in the configuration's finaliser, which a forked worker never runs.
    folder = getattr(fonts, "_folder", None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)


def release_fonts() -> None:
    """Remove the temporary font folders of the font configurations this process made (a forked
    worker leaves those of its parent, which still uses them). Run at exit, and when a worker has
    done its task (the build registers it with its workers: pressroom.build.workers.at_worker_exit)."""
    while _OWN:
        _remove_folder(_OWN.pop())
    for key, (_, fonts, _, _, pid) in list(_SHARED.items()):
        if pid == os.getpid():
            _remove_folder(fonts)
            del _SHARED[key]


atexit.register(release_fonts)


def _signature(files) -> tuple:
    out = []
    for f in files:
        try:
            st = os.stat(f)
        except OSError:
            return ()
        out.append((str(f), st.st_mtime_ns, st.st_size))
    return tuple(out)


def shared_stylesheets(stylesheets: tuple[Path, ...], allowed: list[Path]):
    """The stylesheets parsed once per process, with one font configuration, for every document laid
    out with them: parsing them and loading the fonts again for each part of the report cost
    about 0.04 s a part, and each new font configuration starts with Pango's caches empty.
    Workers forked afterwards share what the parent parsed (see pdf.warm_up).

    Parsed again when a stylesheet or a file it loaded (`@import`, fonts) changed since (the preview
    server builds again in the same process). None when parsing logged anything or refused a URL:
    each document then parses them itself, so that the problem is reported with the document's
    source, as before."""
    key = (tuple(str(s) for s in stylesheets), tuple(str(a) for a in allowed))
    hit = _SHARED.get(key)
    if hit is not None:
        signature, fonts, css, fetched, _ = hit
        if signature and signature == _signature(list(stylesheets) + fetched):
            return fonts, css
        del _SHARED[key]
    fetcher = make_fetcher(allowed + [f.parent for f in font_files()], "stylesheets")
    fetched: list[str] = []
    fetch = fetcher.fetch

    def recording(url, headers=None):
        response = fetch(url, headers)
        parsed = urlparse(url)
        if parsed.scheme == "file":
            fetched.append(unquote(parsed.path))
        return response

    fetcher.fetch = recording
    fonts = _font_configuration()
    with captured_weasyprint_log() as records:
        try:
            css = _parse_stylesheets(stylesheets, fonts, fetcher)
        except Exception:  # noqa: BLE001 - reported by the document that parses them itself
            return None
    if records or fetcher.refused:
        return None
    signature = _signature(list(stylesheets) + fetched)
    if not signature:
        return None
    _OWN.remove(fonts)
    _SHARED[key] = (signature, fonts, css, fetched, os.getpid())
    return fonts, css


def _font_configuration():
    """A new WeasyPrint font configuration, whose temporary folder this process removes when it is
    done (release_fonts, at exit or when a worker leaves)."""
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    _OWN.append(fonts)
    return fonts


def write_pdf(laid: LaidOut, identifier: str) -> bytes:
    """PDF bytes of a laid-out document (PDF/UA-1, tagged).

    The file identifier is derived from the document's source (`identifier`), not drawn at random,
    so that the same sources give the same bytes."""
    patches.install()  # no-op when the build has installed them already
    with captured_weasyprint_log() as records:
        data = laid.document.write_pdf(pdf_tags=True, pdf_variant="pdf/ua-1", uncompressed_pdf=False,
                                       pdf_identifier=hashlib.md5(identifier.encode()).hexdigest().encode())
    problems = [refusal(where, url) for url, where in laid.fetcher.refused_at.items()] if laid.fetcher else []
    problems += [Problem(SourceLocation(laid.fetcher.source if laid.fetcher else "renderer"),
                         f"renderer: {r.getMessage()}")
                 for r in records if r.levelno >= logging.ERROR and "refused to load" not in r.getMessage()]
    if problems:
        raise BuildError(problems)
    return data


WARM_UP_TEXT = {
    "en": "Preventing mass atrocities requires leadership, coordination, capacity and knowledge.",
    "fr": "Prévenir les atrocités de masse exige leadership, coordination, capacités et connaissances.",
}


def warm_up(base_dir: Path, stylesheets: tuple[Path, ...], allowed: list[Path], languages: tuple[str, ...],
            cache_dir: Path) -> None:
    """Lay out and write a short page in each language, here, so that what every layout loads the
    first time (hyphenation dictionaries, fonts, the PDF writer's modules) is loaded once and shared
    by the workers forked afterwards, instead of loaded again by each of them.

    What goes wrong here is left for the real layouts to report, at the place it comes from."""
    for language in languages:
        text = WARM_UP_TEXT.get(language, WARM_UP_TEXT["en"])
        html = (f'<html lang="{language}"><head><title>{language}</title></head><body><h1>{text}</h1>'
                f'<p>{text} <i>{text}</i> <b>{text}</b></p></body></html>')
        try:
            write_pdf(layout(html, base_dir, stylesheets, allowed, "warm-up", cache_dir), "warm-up")
        except BuildError as exc:
            log.debug("warm-up: %s", "; ".join(str(p) for p in exc.problems))


def refusal(where: SourceLocation, url: str) -> Problem:
    """The problem reported for a URL the fetcher refused, where it was asked for."""
    return Problem(where, f"refused to load '{url}' (only files inside the manuscript and "
                                           "styles folders, and data: URIs, may be used)")


def scratch_dir(out_dir: Path) -> Path:
    """A per-output-folder cache for fontconfig and temporary files."""
    d = out_dir / ".cache"
    d.mkdir(parents=True, exist_ok=True)
    return d
