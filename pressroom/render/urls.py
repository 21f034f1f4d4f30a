"""The URL policy of the web edition: the same as the PDF's (pressroom.pdf.layout's fetcher).

A page may load only files of the project (relative paths that stay inside the manuscript) and
`data:` URIs. WeasyPrint enforces that for the PDF through its URL fetcher, and never loads what it
does not draw (`srcset`, `<iframe>`, `<video poster>`); a browser loads all of them, so the web
edition checks every URL the browser would load, in the HTML the Markdown (and the raw HTML in it)
became. Links (`<a href>`) are not loaded and are not checked here."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import unquote

LOADED = {
    "img": ("src", "srcset"), "source": ("src", "srcset"), "iframe": ("src",), "frame": ("src",),
    "embed": ("src",), "object": ("data",), "video": ("src", "poster"), "audio": ("src",),
    "track": ("src",), "input": ("src",), "script": ("src",), "link": ("href",), "base": ("href",),
    "image": ("href", "xlink:href"), "use": ("href", "xlink:href"), "feimage": ("href", "xlink:href"),
    "body": ("background",), "table": ("background",), "td": ("background",), "th": ("background",),
}
"""Per element, the attributes whose URLs a browser loads (or, for `<base>`, that move every other)."""
LOADS_URL_RE = re.compile(r"<[A-Za-z][^>]*\b(?:src|srcset|poster|data|href|background|style|srcdoc)\s*=|<style|"
                          r"url\(|!\[[^\]]*\]\s*\[", re.I)
"""What a source needs to hold for its web HTML to load a URL: raw HTML with a URL attribute, CSS, or
a Markdown image by reference (`![alt][ref]`; the linter checks inline images `![alt](src)`).
Sources without any are not rendered by `check` (web_url_check)."""
CSS_URL_RE = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)|@import\s+(['"])(.*?)\3""", re.I | re.S)


def allowed(url: str) -> bool:
    """A `data:` URI, an anchor in the page, or a relative path that stays inside the project."""
    url = url.strip()
    if not url or url.startswith("#") or url.lower().startswith("data:"):
        return True
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", url) or url.startswith(("/", "\\")):
        return False  # a scheme (http:, file:, javascript:), a root-relative or protocol-relative path
    path = unquote(url.split("#")[0].split("?")[0]).replace("\\", "/")
    return ".." not in path.split("/")


def srcset_urls(value: str) -> list[str]:
    """The URLs of a `srcset`, read as the HTML standard does: each candidate is a URL (a run without
    spaces, which may hold commas, as data: URIs do) and descriptors up to the next comma."""
    out, i, n = [], 0, len(value)
    while i < n:
        while i < n and (value[i].isspace() or value[i] == ","):
            i += 1
        j = i
        while j < n and not value[j].isspace():
            j += 1
        url = value[i:j]
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            depth = 0
            while j < n and not (value[j] == "," and depth == 0):
                depth += {"(": 1, ")": -1 if depth else 0}.get(value[j], 0)
                j += 1
        i = j
        if url:
            out.append(url)
    return out


class _Scanner(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str]] = []  # (where, url)
        self._style = False

    def handle_starttag(self, tag, attrs):
        self._element(tag, attrs)
        self._style = tag == "style"

    def handle_startendtag(self, tag, attrs):
        self._element(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "style":
            self._style = False

    def handle_data(self, data):
        if self._style:
            self.urls += [("<style>", u) for u in css_urls(data)]

    def _element(self, tag, attrs):
        names = LOADED.get(tag, ())
        for name, value in attrs:
            if value is None:
                continue
            if name in names:
                urls = srcset_urls(value) if name == "srcset" else [value]
                self.urls += [(f"<{tag} {name}>", u) for u in urls]
            elif name == "style":
                self.urls += [(f"<{tag} style>", u) for u in css_urls(value)]
            elif tag == "iframe" and name == "srcdoc":
                self.urls.append(("<iframe srcdoc>", "srcdoc:" + value))


def css_urls(css: str) -> list[str]:
    """The URLs a piece of CSS loads (`url()`, `@import`)."""
    return [m.group(2) if m.group(2) is not None else m.group(4) for m in CSS_URL_RE.finditer(css)]


def refused_urls(html: str) -> list[tuple[str, str]]:
    """(where, URL) for every URL in an HTML fragment that the web edition may not load."""
    scanner = _Scanner()
    scanner.feed(html)
    scanner.close()
    return [(where, url) for where, url in scanner.urls if not allowed(url)]
