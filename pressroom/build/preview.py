"""`pressroom preview`: the web edition on 127.0.0.1 with live reload, PDFs rebuilt in the background."""

from __future__ import annotations

import html as htmllib
import http.server
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BuildError

log = logging.getLogger(__name__)

RELOAD_SCRIPT = """<script>
(function () {
  var seen = null;
  function poll() {
    fetch('/__version', {cache: 'no-store'}).then(function (r) { return r.json(); }).then(function (v) {
      if (seen !== null && v.version !== seen) { location.reload(); }
      seen = v.version;
    }).catch(function () {}).finally(function () { setTimeout(poll, 300); });
  }
  poll();
})();
</script>"""


@dataclass
class PreviewState:
    """What the server shows; replaced whole on each rebuild (the server thread only reads it)."""

    pages: dict = field(default_factory=dict)
    """URL path to HTML text."""
    version: int = 0
    """Bumped on every rebuild; the pages poll it and reload."""
    errors: list = field(default_factory=list)
    """Located problems of the last rebuild, shown in the page."""
    pdf_status: str = "not built yet"
    """What the background PDF build is doing."""


def snapshot(root: Path, styles: Path) -> tuple:
    """Modification times of every source file, to notice a save."""
    files = []
    for base in (root, styles):
        for p in sorted(base.rglob("*")):
            if p.is_file():
                try:
                    files.append((str(p), p.stat().st_mtime_ns, p.stat().st_size))
                except FileNotFoundError:
                    pass
    return tuple(files)


def render_web_pages(root: Path, styles: Path) -> tuple[dict, list]:
    """Every web edition in memory: {'/en/report.html': html}, or the problems that stop it."""
    from ..load.editions import editions_to_build
    from ..load.manuscript import load_manuscript
    from ..render.html import render_page
    try:
        m = load_manuscript(root, styles)
    except BuildError as exc:
        return {}, [str(p) for p in exc.problems]
    pages = {}
    for e in editions_to_build(m):
        if e.spec.kind == "report" and e.spec.web:
            page = render_page(e, styles, "screen", pdf_name=f"{e.spec.id}.pdf")
            pages[f"/{e.language}/{e.spec.id}.html"] = page.html
    return pages, [str(w) for w in m.warnings]


def error_banner(errors: list, pdf_status: str) -> str:
    """A fixed box listing the problems, added to every page."""
    items = "".join(f"<li>{htmllib.escape(e)}</li>" for e in errors)
    box = (f'<div role="alert" style="position:fixed;bottom:0;left:0;right:0;max-height:40vh;overflow:auto;'
           f'background:#fff3f0;border-top:3px solid #9b2c2c;padding:0.5em 1em;font:14px monospace;z-index:99">'
           f"<strong>{len(errors)} problem(s)</strong><ul>{items}</ul></div>") if errors else ""
    status = (f'<div style="position:fixed;top:0;right:0;background:#1f2a44;color:white;padding:2px 8px;'
              f'font:12px sans-serif;z-index:99">PDF: {htmllib.escape(pdf_status)}</div>')
    return box + status


class Preview:
    """Watches the sources, re-renders the web edition on each save, and rebuilds PDFs behind."""

    def __init__(self, root: Path, styles: Path, out: Path, port: int = 8000, interval: float = 0.25):
        self.root, self.styles, self.out, self.port, self.interval = root, styles, out, port, interval
        self.state = PreviewState()
        self.stop = threading.Event()
        self._pdf_again = threading.Event()

    def rebuild(self) -> None:
        """Re-render the web pages now (fast: no layout), and ask for a PDF rebuild."""
        pages, errors = render_web_pages(self.root, self.styles)
        old = self.state
        self.state = PreviewState(pages or old.pages, old.version + 1, errors, old.pdf_status)
        for e in errors:
            log.warning("%s", e)
        self._pdf_again.set()

    def _pdf_worker(self) -> None:
        from .pipeline import BuildOptions, build
        while not self.stop.is_set():
            if not self._pdf_again.wait(0.2):
                continue
            self._pdf_again.clear()
            self._set_status("rebuilding…")
            try:
                result = build(BuildOptions(self.root, self.out, self.styles))
                rendered = [r.edition.id for r in result.results if not r.reused]
                self._set_status(f"up to date ({len(rendered)} re-rendered)")
            except BuildError as exc:
                self._set_status(f"failed ({len(exc.problems)} problems)")
                for p in exc.problems:
                    log.warning("%s", p)
            except Exception as exc:  # noqa: BLE001 - the server keeps running
                self._set_status(f"failed: {exc}")

    def _set_status(self, text: str) -> None:
        s = self.state
        self.state = PreviewState(s.pages, s.version + 1, s.errors, text)

    def _watch(self) -> None:
        last = snapshot(self.root, self.styles)
        while not self.stop.wait(self.interval):
            now = snapshot(self.root, self.styles)
            if now != last:
                last = now
                self.rebuild()

    def handler(self):
        """The request handler class bound to this preview."""
        preview = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, fmt, *args):  # quiet: the terminal shows rebuilds and errors
                log.debug(fmt, *args)

            def _send(self, code: int, body: bytes, ctype: str) -> None:
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Cache-Control", "no-store")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):  # noqa: N802 - http.server API
                path = self.path.split("?")[0]
                state = preview.state
                if path == "/__version":
                    return self._send(200, json.dumps({"version": state.version, "errors": state.errors,
                                                       "pdf": state.pdf_status}).encode(), "application/json")
                if path in ("/", "/index.html"):
                    path = next(iter(sorted(state.pages)), "/")
                    self.send_response(302)
                    self.send_header("Location", path)
                    self.end_headers()
                    return
                if path in state.pages:
                    page = state.pages[path].replace(
                        "</body>", error_banner(state.errors, state.pdf_status) + RELOAD_SCRIPT + "</body>")
                    return self._send(200, page.encode("utf-8"), "text/html; charset=utf-8")
                if path == "/web.css":
                    return self._send(200, (preview.styles / "screen.css").read_bytes(), "text/css")
                if path.startswith("/fonts/"):
                    from ..pdf.layout import font_files
                    for f in font_files():
                        if f.name == path.rsplit("/", 1)[-1]:
                            return self._send(200, f.read_bytes(), "font/ttf")
                target = (preview.out / path.lstrip("/")).resolve()
                if path.endswith(".pdf") and preview.out.resolve() in target.parents and target.is_file():
                    return self._send(200, target.read_bytes(), "application/pdf")
                return self._send(404, b"not found", "text/plain")

        return Handler

    def serve(self, announce=print) -> None:
        """Serve until Ctrl-C."""
        self.rebuild()
        server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), self.handler())
        threads = [threading.Thread(target=self._watch, daemon=True),
                   threading.Thread(target=self._pdf_worker, daemon=True)]
        threads.append(threading.Thread(target=lambda: (self.stop.wait(), server.shutdown()), daemon=True))
        for t in threads:
            t.start()
        announce(f"Previewing on http://127.0.0.1:{server.server_address[1]}/  (Ctrl-C to stop)")
        try:
            server.serve_forever(poll_interval=0.2)
        except KeyboardInterrupt:
            announce("Stopped.")
        finally:
            self.stop.set()
            server.server_close()
            time.sleep(0)
