"""Nothing outside the project gets into an edition: every way out is refused, located, and leaks nothing.

Each attack is planted in a copy of the fixture manuscript; a secret file with a unique marker lies
next to it, outside. The build must fail (exit 1, no traceback) naming where the attack stands, and no
file it leaves behind (a PDF least of all) may hold the marker or an embedded file. An HTTP server on
127.0.0.1 stands ready for the network attacks and must receive no request at all.

The fetcher itself (pressroom.pdf.layout.make_fetcher) is also tested directly, without a render, and one test
shows that the PDF checks have teeth: a file attached from inside the manuscript is found by them."""

from __future__ import annotations

import contextlib
import http.server
import io
import re
import shutil
import threading
import uuid
from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

from conftest import ROOT, run_cli

MARKER = f"PRESSROOM-SECRET-{uuid.uuid4().hex}"
CHAPTER = "chapters/03-attack.md"
BODY_LINE = 5  # the first line after the attack chapter's front matter


# --- Fixtures and helpers --------------------------------------------------------------------

@pytest.fixture
def secret(tmp_path) -> Path:
    """A folder outside the manuscript holding files that carry MARKER."""
    d = tmp_path / "outside"
    d.mkdir()
    (d / "secret.txt").write_text(f"{MARKER}\n")
    (d / "secret.png").write_bytes(b"\x89PNG\r\n\x1a\n" + MARKER.encode())
    (d / "secret.css").write_text(f"body {{ color: red }} /* {MARKER} */\n")
    (d / "secret.svg").write_text(f'<svg xmlns="http://www.w3.org/2000/svg" width="5" height="5">'
                                  f'<text>{MARKER}</text></svg>\n')
    return d


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):  # noqa: N802 - http.server API
        _Recorder.requests.append(self.path)
        body = MARKER.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    """An HTTP server on 127.0.0.1 (ephemeral port) that records every request; yields its port."""
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield srv.server_address[1]
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(5)


@pytest.fixture
def requests_seen(server):
    """The requests the server received during one test."""
    _Recorder.requests.clear()
    yield _Recorder.requests


def attack(manuscript: Path, *lines: str) -> dict[str, int]:
    """Add a chapter whose body is `lines`, one blank line apart; return each line's number in the file."""
    text = "---\ntitle: Attack\n---\n\n" + "\n\n".join(lines) + "\n"
    (manuscript / CHAPTER).write_text(text)
    return {line: BODY_LINE + 2 * i for i, line in enumerate(lines)}


def build(tmp_path: Path, monkeypatch, *extra: str) -> tuple[int, str, Path]:
    """Build the English report of tmp_path/manuscript into tmp_path/dist; (exit code, stderr, dist)."""
    monkeypatch.chdir(tmp_path)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = run_cli("build", "--manuscript", "manuscript", "--out", "dist", "--quiet",
                       "--language", "en", "--edition", "report", *extra)
    return code, err.getvalue(), tmp_path / "dist"


def pdf_secrets(data: bytes, marker: str = MARKER) -> list[str]:
    """What in a PDF betrays a leak: the marker in any (decoded) stream, embedded files, attachments."""
    found = []
    if marker.encode() in data:
        found.append("marker in the raw bytes")
    reader = PdfReader(io.BytesIO(data))
    root = reader.trailer["/Root"]
    names = root.get("/Names")
    if names is not None and "/EmbeddedFiles" in names.get_object():
        found.append("/EmbeddedFiles in the catalog")
    seen: set[int] = set()

    def walk(obj, depth=0):
        if depth > 50:
            return
        if isinstance(obj, IndirectObject):
            if obj.idnum in seen:
                return
            seen.add(obj.idnum)
            obj = obj.get_object()
        if isinstance(obj, StreamObject):
            try:
                if marker.encode() in obj.get_data():
                    found.append("marker in a stream")
            except Exception:  # noqa: BLE001 - an undecodable stream holds no readable marker
                pass
        if isinstance(obj, DictionaryObject):
            if obj.get("/Type") in ("/EmbeddedFile", "/Filespec") or obj.get("/Subtype") == "/FileAttachment":
                found.append(f"{obj.get('/Type') or obj.get('/Subtype')} object")
            for v in obj.values():
                walk(v, depth + 1)
        elif isinstance(obj, ArrayObject):
            for v in obj:
                walk(v, depth + 1)
    walk(reader.trailer)
    return found


LINT_REFUSALS = (r"refused to load|is not a file inside the manuscript|is a link to a file outside|"
                 r"remote image .* is not fetched|SVG '[^']*' loads")


def assert_refused(code: int, err: str, dist: Path, located: list[str], refused: list[str] = ()) -> None:
    """The build failed as it should: exit 1, no traceback, each location and refused URL named,
    and nothing it left behind carries the secret."""
    assert code == 1, err
    assert "Traceback" not in err and "internal error" not in err, err
    for where in located:
        assert re.search(rf"^{re.escape(where)}: ", err, re.M), f"{where!r} not reported in:\n{err}"
    for url in refused:
        # Refused by the renderer's fetcher (the whole URL), or before rendering by the linter, at the
        # line that names it (as written there: its file name is in the message).
        name = url.rstrip("/").rsplit("/", 1)[-1]
        assert f"refused to load '{url}'" in err or any(
            name in line and re.search(LINT_REFUSALS, line) for line in err.splitlines()
            if re.match(r"^manuscript/\S+:\d+: ", line)), f"{url!r} not refused in:\n{err}"
    assert err.rstrip().splitlines()[-1].startswith("build failed: "), err
    left = [f for f in dist.rglob("*") if f.is_file()] if dist.exists() else []
    for f in left:
        data = f.read_bytes()
        assert MARKER.encode() not in data, f"{f} holds the secret"
        if f.suffix == ".pdf":
            assert pdf_secrets(data) == [], f"{f}: {pdf_secrets(data)}"
    assert not [f for f in left if f.suffix in (".pdf", ".html")], f"a failed build wrote {left}"


def at(line: int) -> str:
    return f"manuscript/{CHAPTER}:{line}"


# --- The fetcher, directly -------------------------------------------------------------------

def test_fetcher_serves_project_files_and_data_uris_only(tmp_path, secret):
    from pressroom.pdf.layout import make_fetcher
    project = tmp_path / "manuscript"
    (project / "figures").mkdir(parents=True)
    (project / "figures" / "ok.png").write_bytes(b"\x89PNG fine")
    (project / "figures" / "link.png").symlink_to(secret / "secret.png")
    (project / "figures" / "dir").symlink_to(secret)
    fetcher = make_fetcher([project], "test-source")

    ok = fetcher.fetch((project / "figures" / "ok.png").as_uri())
    assert ok.read() == b"\x89PNG fine"
    fetcher.fetch("data:text/plain,hello")
    assert fetcher.refused == []

    s = secret.as_uri()
    p = project.as_uri()
    attacks = [
        f"{s}/secret.txt",                               # a file outside
        f"{p}/../outside/secret.txt",                    # .. out of the project
        f"{p}/figures/%2e%2e/%2e%2e/outside/secret.txt",  # .. percent-encoded
        f"{p}/figures/link.png",                         # a symlink leading out
        f"{p}/figures/dir/secret.txt",                   # through a symlinked folder
        f"file://localhost{secret}/secret.txt",          # a host in a file URL
        f"file:///{secret}/secret.txt",                  # an extra slash
        f"FILE://{secret}/secret.txt",                   # scheme in capitals
        "file:///etc/passwd",
        f"{p}/figures",                                  # a folder, not a file
        f"{p}/figures/missing.png",
        "http://127.0.0.1:9/x.png",
        "https://example.org/x.png",
        "ftp://127.0.0.1/x",
        "//127.0.0.1/x.png",
        "about:blank",
    ]
    for url in attacks:
        try:
            result = fetcher.fetch(url)
        except Exception:  # noqa: BLE001 - refused, as it should be
            continue
        pytest.fail(f"{url} was served: {result.read()[:40]!r}")
    assert fetcher.refused == attacks
    assert fetcher.source == "test-source"


def test_fetcher_makes_no_network_request(requests_seen, server):
    from pressroom.pdf.layout import make_fetcher
    fetcher = make_fetcher([ROOT / "styles"], "test-source")
    for url in (f"http://127.0.0.1:{server}/x.png", f"https://127.0.0.1:{server}/x.png",
                f"http://localhost:{server}/x.css"):
        with pytest.raises(Exception):
            fetcher.fetch(url)
    assert requests_seen == []


def test_a_pdf_rendered_through_the_fetcher_holds_nothing_it_refused(tmp_path, tmp_path_factory, secret,
                                                                     requests_seen, server):
    """Even if the refusal errors were ignored, WeasyPrint gets nothing: the PDF has no attachment,
    no image, no style from outside."""
    import weasyprint
    from pressroom.pdf.layout import configure_fontconfig, make_fetcher
    project = tmp_path / "manuscript"
    project.mkdir()
    configure_fontconfig(tmp_path_factory.getbasetemp() / "fontconfig")  # once per process; kept all session
    s = secret.as_uri()
    html = f"""<html lang="en"><head><link rel="attachment" href="{s}/secret.txt">
      <link rel="stylesheet" href="{s}/secret.css"><style>@import url("{s}/secret.css");
      p {{ background: url("{s}/secret.png") }}</style></head><body>
      <p>Text <a rel="attachment" href="{s}/secret.txt">attached</a>
      <a rel="attachment" href="../outside/secret.txt">relative</a></p>
      <img src="{s}/secret.png" alt=""><img src="../outside/secret.svg" alt="">
      <img src="http://127.0.0.1:{server}/x.png" alt=""><object data="{s}/secret.svg"></object>
      </body></html>"""
    fetcher = make_fetcher([project], "test-source")
    data = weasyprint.HTML(string=html, base_url=project.as_uri() + "/", url_fetcher=fetcher).write_pdf()
    assert pdf_secrets(data) == []
    assert requests_seen == []
    assert {u.rsplit("/", 1)[-1] for u in fetcher.refused} >= {"secret.txt", "secret.css", "secret.png",
                                                               "secret.svg", "x.png"}


def test_the_pdf_check_finds_an_attachment_that_did_get_in(mini_copy, tmp_path, monkeypatch):
    """Control: a file attached from inside the manuscript is embedded, and pdf_secrets sees it
    (so the checks above would catch a leak)."""
    marker = f"INSIDE-{uuid.uuid4().hex}"
    (mini_copy / "figures").mkdir(exist_ok=True)
    (mini_copy / "figures" / "data.txt").write_text(marker)
    attack(mini_copy, '<a rel="attachment" href="figures/data.txt">the data</a>')
    code, err, dist = build(tmp_path, monkeypatch)
    assert code == 0, err
    found = pdf_secrets((dist / "en" / "report.pdf").read_bytes(), marker)
    assert "marker in a stream" in found and any("Filespec" in f or "EmbeddedFile" in f for f in found), found


# --- Whole builds ------------------------------------------------------------------------------

def test_file_urls_outside_the_project_are_refused(mini_copy, tmp_path, monkeypatch, secret):
    s = secret.as_uri()
    lines = attack(mini_copy,
                   f'<img src="{s}/secret.png" alt="A picture">',
                   f'<link rel="stylesheet" href="{s}/secret.css">',
                   f'<object data="{s}/secret.svg" type="image/svg+xml"></object>',
                   f'<img src="file://localhost{secret}/secret.png" alt="A picture">')
    code, err, dist = build(tmp_path, monkeypatch)
    assert_refused(code, err, dist, [at(n) for line, n in lines.items() if line.startswith("<")],
                   [f"{s}/secret.png", f"{s}/secret.css", f"{s}/secret.svg"])
    assert "build failed: 4 problems" in err  # every refusal at once


def test_dotdot_paths_out_of_the_project_are_refused(mini_copy, tmp_path, monkeypatch, secret):
    attack(mini_copy, '<img src="../outside/secret.png" alt="A picture">',
           '<img src="figures/../../outside/secret.svg" alt="A picture">')
    code, err, dist = build(tmp_path, monkeypatch)
    # Located at the edition that rendered them: the fetcher sees the resolved URL, not the relative one.
    assert_refused(code, err, dist, [], [f"{secret.as_uri()}/secret.png", f"{secret.as_uri()}/secret.svg"])
    assert re.search(r"^manuscript/\S+:\d+", err, re.M), err


def test_dotdot_image_in_markdown_is_refused_by_the_linter(mini_copy, tmp_path, monkeypatch, secret):
    lines = attack(mini_copy, "![A picture](../outside/secret.png)", "![Another](/etc/passwd)")
    code, err, dist = build(tmp_path, monkeypatch)
    assert_refused(code, err, dist, [at(lines["![A picture](../outside/secret.png)"]),
                                     at(lines["![Another](/etc/passwd)"])])
    assert "'../outside/secret.png' is not a file inside the manuscript" in err
    # A root-relative path starts at the manuscript's root (a site's root), never the machine's.
    assert "image not found: '/etc/passwd' (expected a file at manuscript/etc/passwd)" in err


def test_symlinks_out_of_the_project_are_refused(mini_copy, tmp_path, monkeypatch, secret):
    (mini_copy / "figures").mkdir(exist_ok=True)
    (mini_copy / "figures" / "link.png").symlink_to(secret / "secret.png")
    (mini_copy / "figures" / "dir").symlink_to(secret)
    attack(mini_copy, '<img src="figures/link.png" alt="A picture">',
           '<img src="figures/dir/secret.svg" alt="A picture">')
    code, err, dist = build(tmp_path, monkeypatch)
    root = (tmp_path / "manuscript").as_uri()
    assert_refused(code, err, dist, [], [f"{root}/figures/link.png", f"{root}/figures/dir/secret.svg"])


def test_symlinked_image_in_markdown_is_refused_as_outside_the_project(mini_copy, tmp_path, monkeypatch, secret):
    (mini_copy / "figures").mkdir(exist_ok=True)
    (mini_copy / "figures" / "map.svg").symlink_to(secret / "secret.svg")
    lines = attack(mini_copy, "![A map of the region](figures/map.svg)")
    code, err, dist = build(tmp_path, monkeypatch)
    assert_refused(code, err, dist, [at(lines["![A map of the region](figures/map.svg)"])])
    assert "is a link to a file outside the manuscript" in err


def test_http_to_a_local_server_is_never_requested(mini_copy, tmp_path, monkeypatch, server, requests_seen):
    base = f"http://127.0.0.1:{server}"
    lines = attack(mini_copy,
                   f'<img src="{base}/img.png" alt="A tracker">',
                   f'<link rel="stylesheet" href="{base}/sheet.css">',
                   f'<style>p {{ background: url("{base}/bg.png") }}</style>',
                   f"![A remote picture]({base}/md.png)")
    code, err, dist = build(tmp_path, monkeypatch)
    # The Markdown image is refused by the linter, before anything is rendered.
    assert_refused(code, err, dist, [at(lines[f"![A remote picture]({base}/md.png)"])])
    mini_copy.joinpath(CHAPTER).write_text(mini_copy.joinpath(CHAPTER).read_text().replace(
        f"![A remote picture]({base}/md.png)", "Text."))
    code, err, dist = build(tmp_path, monkeypatch)
    assert_refused(code, err, dist, [at(n) for line, n in lines.items() if line.startswith("<")],
                   [f"{base}/img.png", f"{base}/sheet.css", f"{base}/bg.png"])
    assert requests_seen == []


def test_css_import_and_url_in_a_chapter_style_element_are_refused(mini_copy, tmp_path, monkeypatch, secret):
    s = secret.as_uri()
    lines = attack(mini_copy,
                   f'<style>@import url("{s}/secret.css");</style>',
                   f'<style>p {{ background: url("{s}/secret.png") }}</style>',
                   f"<p style=\"background: url('{s}/secret.svg')\">Styled.</p>")
    code, err, dist = build(tmp_path, monkeypatch)
    assert_refused(code, err, dist, [at(n) for line, n in lines.items() if line.startswith("<")],
                   [f"{s}/secret.css", f"{s}/secret.png", f"{s}/secret.svg"])


def test_css_import_and_url_in_a_stylesheet_are_refused(mini_copy, tmp_path, monkeypatch, secret):
    styles = tmp_path / "styles"
    shutil.copytree(ROOT / "styles", styles)
    s = secret.as_uri()
    sheet = styles / "print.css"
    sheet.write_text(f'@import url("{s}/secret.css");\n@import url("../outside/secret.svg");\n'
                     + sheet.read_text() + f'\nbody {{ background: url("{s}/secret.png"); }}\n')
    code, err, dist = build(tmp_path, monkeypatch, "--styles", "styles")
    assert_refused(code, err, dist, [], [f"{s}/secret.css", f"{s}/secret.svg", f"{s}/secret.png"])
    # Located at the stylesheet line that asked for each file.
    lines = sheet.read_text().split("\n")
    last = next(i for i, line in enumerate(lines, 1) if "secret.png" in line)
    for line in (1, 2, last):
        assert re.search(rf"^styles/print\.css:{line}: refused", err, re.M), err


def test_svg_image_reaching_out_is_refused_by_the_linter(mini_copy, tmp_path, monkeypatch, secret):
    from pressroom.load.lint import check_image
    (mini_copy / "figures").mkdir(exist_ok=True)
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
           f'width="50" height="50">\n<image href="{secret.as_uri()}/secret.png" width="9" height="9"/>\n'
           f'<image xlink:href="../../outside/secret.svg" width="9" height="9"/>\n</svg>\n')
    (mini_copy / "figures" / "evil.svg").write_text(svg)
    head = '<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9">'
    for inner in ('<style>rect { fill: url("file:///etc/passwd") }</style>', "<style>@import '../x.css';</style>",
                  '<rect style="fill: url(http://127.0.0.1:9/x)"/>', '<use href="other.svg#a"/>',
                  "<image src='../secret.png'/>", " " * 70000 + '<image href="/etc/passwd"/>'):
        (mini_copy / "figures" / "variant.svg").write_text(f"{head}{inner}</svg>")
        assert check_image(mini_copy / "figures" / "variant.svg", mini_copy / CHAPTER, 5, "figures/variant.svg"), inner
    (mini_copy / "figures" / "fine.svg").write_text(f'{head}<rect fill="url(#g)"/><use href="#a"/>'
                                                    '<image href="data:image/png;base64,AAAA"/></svg>')
    assert check_image(mini_copy / "figures" / "fine.svg", mini_copy / CHAPTER, 5) == []
    lines = attack(mini_copy, "![A map of the region](figures/evil.svg)")
    code, err, dist = build(tmp_path, monkeypatch)
    assert_refused(code, err, dist, [at(lines["![A map of the region](figures/evil.svg)"])])
    assert f"SVG 'figures/evil.svg' loads '{secret.as_uri()}/secret.png'" in err


def test_svg_image_reaching_out_is_refused_by_the_fetcher_if_reached(mini_copy, tmp_path, monkeypatch, secret):
    """A raw HTML <img> is linted as a Markdown image is: the SVG reaching out is refused at its line
    before rendering (the fetcher would refuse what it loads, were it reached)."""
    (mini_copy / "figures").mkdir(exist_ok=True)
    (mini_copy / "figures" / "evil.svg").write_text(
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="50" height="50">'
        f'<image href="{secret.as_uri()}/secret.png" width="9" height="9"/>'
        f'<image xlink:href="../../outside/secret.svg" width="9" height="9"/></svg>')
    attack(mini_copy, '<img src="figures/evil.svg" alt="A map">')
    code, err, dist = build(tmp_path, monkeypatch)
    assert_refused(code, err, dist, [at(5)], [f"{secret.as_uri()}/secret.png"])


def test_attachments_from_outside_are_refused(mini_copy, tmp_path, monkeypatch, secret, server, requests_seen):
    """Attachments are fetched when the PDF is written, after layout: all of them are refused together."""
    s = secret.as_uri()
    lines = attack(mini_copy, f'<link rel="attachment" href="{s}/secret.txt">',
                   f'<a rel="attachment" href="{s}/secret.png">the file</a>',
                   '<a rel="attachment" href="../outside/secret.svg">the relative file</a>',
                   f'<a rel="attachment" href="http://127.0.0.1:{server}/file.txt">the remote file</a>')
    code, err, dist = build(tmp_path, monkeypatch)
    assert_refused(code, err, dist, [at(n) for line, n in lines.items() if "../" not in line],
                   [f"{s}/secret.txt", f"{s}/secret.png", f"{s}/secret.svg", f"http://127.0.0.1:{server}/file.txt"])
    assert requests_seen == []
