"""The web edition in a real browser: Debian's Chromium, headless, checked with axe-core.

The fixture manuscript and the real manuscript are built (the `mini_build` and `real_build`
fixtures), their output folders served over HTTP on 127.0.0.1, and each `report.html` opened in the
system Chromium driven by Playwright. axe-core runs every rule it runs by default (WCAG 2.0, 2.1 and
2.2 A and AA, and its best practices, such as `empty-table-header`) and must find nothing, on a desktop screen, a phone (375x812) and the 320 CSS px of WCAG's reflow criterion;
none of these may scroll sideways; every recommendation has its anchor; the focus ring shows on
every background.

Where things come from: Chromium from Debian (`apt-get install -y chromium`, the apt line of
.ci/run; Playwright's own browser download is never used), Playwright and axe-core from PyPI, pinned
in the `test` extra (`axe-playwright-python` bundles axe-core's `axe.min.js`; only that file is used).
The test does not skip when Chromium is missing: it fails and says how to install it.
"""

from __future__ import annotations

import functools
import http.server
import importlib.resources
import os
import re
import threading
from pathlib import Path

import pytest
import yaml

from conftest import FIXTURES, ROOT

CHROMIUM = os.environ.get("PRESSROOM_CHROMIUM", "/usr/bin/chromium")
# Without these Chromium stalls on a closed network (first-run, component and sync fetches).
# Playwright adds --headless and a fresh temporary --user-data-dir to every launch itself.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORTS = {"desktop": (1280, 900), "phone": (375, 812), "reflow-320": (320, 640)}
BUILDS = {"mini": FIXTURES / "mini", "real": ROOT / "manuscript"}
PAGES = [(build, lang) for build in BUILDS for lang in ("en", "fr")]

INSTALL_CHROMIUM = ("install it as .ci/run does (as root): "
                    "`apt-get update && apt-get install -y chromium`, "
                    "or set PRESSROOM_CHROMIUM to another Chromium binary")


def axe_source() -> str:
    """axe-core's `axe.min.js`, as bundled (and pinned) by the `axe-playwright-python` wheel."""
    try:
        return (importlib.resources.files("axe_playwright_python") / "axe.min.js").read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        pytest.fail(f"axe-core is missing ({exc}); install the test extra: "
                    f".venv/bin/pip install -e '.[test]'", pytrace=False)


class Chromium:
    """One headless Chromium for the module; `page()` fails the calling test if it cannot start."""

    def __init__(self) -> None:
        self._playwright = None
        self._browser = None
        self._error: str | None = None

    def _start(self) -> None:
        if self._browser is not None or self._error is not None:
            return
        if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
            self._error = f"Chromium not found at {CHROMIUM}: {INSTALL_CHROMIUM}."
            return
        try:
            from playwright.sync_api import sync_playwright
        except ModuleNotFoundError as exc:
            self._error = (f"Playwright is missing ({exc}); install the test extra: "
                           f".venv/bin/pip install -e '.[test]'")
            return
        try:
            self._playwright = sync_playwright().start()
            self._browser = self._playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, timeout=90_000)
        except Exception as exc:  # noqa: BLE001 - any launch failure is reported the same way
            self._error = (f"Chromium at {CHROMIUM} did not start: {exc}\n"
                           f"If it is missing or incomplete, {INSTALL_CHROMIUM}.")
            self.close()

    def page(self, viewport: tuple[int, int]):
        """A new page in a fresh context of the given viewport size (width, height)."""
        self._start()
        if self._error:
            pytest.fail(self._error, pytrace=False)
        context = self._browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
        context.set_default_timeout(30_000)
        return context.new_page()

    def close(self) -> None:
        if self._browser is not None:
            self._browser.close()
        if self._playwright is not None:
            self._playwright.stop()
        self._browser = self._playwright = None


@pytest.fixture(scope="module")
def chromium():
    browser = Chromium()
    yield browser
    browser.close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the signature of the base class
        pass


class Server:
    """A folder served over HTTP on 127.0.0.1, on a free port, in a daemon thread."""

    def __init__(self, root: Path) -> None:
        handler = functools.partial(QuietHandler, directory=str(root))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def served(request):
    """`served(name)`: the base URL of build `name` ("mini" or "real"), built and served once."""
    servers: dict[str, Server] = {}

    def serve(name: str) -> str:
        if name not in servers:
            servers[name] = Server(request.getfixturevalue(f"{name}_build"))
        return servers[name].base

    yield serve
    for server in servers.values():
        server.close()


def open_report(chromium, served, build: str, lang: str, viewport: tuple[int, int]):
    """The page of `<build>/<lang>/report.html`, loaded with its stylesheet and fonts.

    Fails if any resource is missing or comes from anywhere but the served folder."""
    page = chromium.page(viewport)  # first: without Chromium, fail before building anything
    base = served(build)
    problems: list[str] = []

    def on_response(response):
        if response.status >= 400:
            problems.append(f"HTTP {response.status} for {response.url}")

    def on_request(req):
        if not (req.url.startswith(base) or req.url.startswith("data:")):
            problems.append(f"request outside the edition: {req.url}")

    page.on("response", on_response)
    page.on("request", on_request)
    page.on("requestfailed", lambda req: problems.append(f"failed: {req.url} ({req.failure})"))
    url = f"{base}{lang}/report.html"
    page.goto(url, wait_until="load")
    page.evaluate("document.fonts.ready.then(() => true)")
    assert not problems, f"{url} did not load cleanly:\n  " + "\n  ".join(problems)
    return page


RUN_AXE = """async (tags) => {
  const options = tags ? {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']} : {resultTypes: ['violations']};
  const r = await axe.run(document, options);
  return {version: r.testEngine.version, violations: r.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target, summary: n.failureSummary}))}))};
}"""


def run_axe(page, tags: list[str] | None = None) -> dict:
    """axe-core's violations on the page: of every rule it runs by default (WCAG 2.0 to 2.2 A and
    AA, and its best practices, such as `empty-table-header`), or of the rules with `tags`."""
    page.add_script_tag(content=axe_source())
    return page.evaluate(RUN_AXE, tags)


def describe_violations(result: dict, where: str, per_rule: int = 8) -> str:
    """axe's violations, readably: rule, impact, help, link, then each element and what is wrong."""
    lines = [f"axe-core {result['version']} found {len(result['violations'])} violation(s) in {where}:"]
    for v in result["violations"]:
        lines.append(f"\n{v['id']} ({v['impact']}): {v['help']}  [{len(v['nodes'])} element(s)]")
        lines.append(f"  {v['helpUrl']}")
        for node in v["nodes"][:per_rule]:
            target = " ".join(" >>> ".join(t) if isinstance(t, list) else t for t in node["target"])
            summary = re.sub(r"\s*\n\s*", " | ", (node["summary"] or "").strip())
            lines.append(f"  - {target}\n      {summary}")
        if len(v["nodes"]) > per_rule:
            lines.append(f"  ... and {len(v['nodes']) - per_rule} more")
    return "\n".join(lines)


# The elements sticking out past the right edge of the window, outermost first, leaving out those
# clipped by a scrolling ancestor (a wide table scrolls in its own box): a hint when the page scrolls.
WIDE_ELEMENTS = """() => {
  const clipped = (e) => { for (let a = e.parentElement; a; a = a.parentElement) {
    if (getComputedStyle(a).overflowX !== 'visible') return a !== document.documentElement && a !== document.body;
  } return false; };
  const name = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
    (e.classList.length ? '.' + [...e.classList].join('.') : '');
  const out = [];
  for (const e of document.body.querySelectorAll('*')) {
    const r = e.getBoundingClientRect();
    if (r.right > innerWidth + 0.5 && !clipped(e) && !(e.parentElement && e.parentElement.getBoundingClientRect().right > innerWidth + 0.5))
      out.push(`${name(e)} (right edge at ${Math.round(r.right)}px)`);
  }
  return out.slice(0, 10);
}"""


@pytest.mark.parametrize("viewport", list(VIEWPORTS), ids=list(VIEWPORTS))
@pytest.mark.parametrize("build, lang", PAGES, ids=[f"{b}-{lang}" for b, lang in PAGES])
def test_web_edition_has_no_wcag_violation_and_no_sideways_scrolling(chromium, served, build, lang, viewport):
    size = VIEWPORTS[viewport]
    page = open_report(chromium, served, build, lang, size)
    try:
        where = f"the {build} build's {lang}/report.html at {size[0]}x{size[1]}"
        result = run_axe(page)
        if result["violations"]:
            pytest.fail(describe_violations(result, where), pytrace=False)

        scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
        assert scroll_width <= inner_width, (
            f"{where} scrolls sideways: the document is {scroll_width}px wide in a {inner_width}px "
            f"window. Sticking out: {', '.join(page.evaluate(WIDE_ELEMENTS)) or '(none found)'}")
    finally:
        page.context.close()


def recommendation_ids(manuscript: Path) -> list[str]:
    """The `id` of every recommendation file of a manuscript, read from its front matter."""
    ids = []
    for path in sorted((manuscript / "recommendations").glob("*.md")):
        front = path.read_text("utf-8").split("---", 2)[1]
        ids.append(str(yaml.safe_load(front)["id"]))
    assert ids, f"no recommendations in {manuscript}"
    return ids


ANCHORS = """(ids) => {
  const count = (id) => document.querySelectorAll(`[id="${CSS.escape(id)}"]`).length;
  const all = [...document.querySelectorAll('[id]')].map(e => e.id);
  return {
    missing: ids.filter(id => count(id) === 0),
    not_a_recommendation: ids.filter(id => count(id) === 1 &&
      !document.getElementById(id).matches('article.recommendation')),
    duplicate_ids: [...new Set(all.filter((id, i) => all.indexOf(id) !== i))],
    extra_recommendations: [...document.querySelectorAll('article.recommendation')]
      .map(e => e.id).filter(id => !ids.includes(id)),
    broken_links: [...new Set([...document.querySelectorAll('a[href^="#"]')]
      .map(a => decodeURIComponent(a.getAttribute('href').slice(1)))
      .filter(id => id && count(id) === 0))],
  };
}"""


@pytest.mark.parametrize("build, lang", PAGES, ids=[f"{b}-{lang}" for b, lang in PAGES])
def test_every_recommendation_has_its_anchor(chromium, served, build, lang):
    ids = recommendation_ids(BUILDS[build])
    page = open_report(chromium, served, build, lang, VIEWPORTS["phone"])
    try:
        found = page.evaluate(ANCHORS, ids)
        assert found == {"missing": [], "not_a_recommendation": [], "duplicate_ids": [],
                         "extra_recommendations": [], "broken_links": []}, (
            f"anchors of the {build} build's {lang}/report.html: {found}")
        # Following a link such as report.html#US-1 lands on the recommendation.
        first = ids[0]
        page.goto(f"{served(build)}{lang}/report.html#{first}")
        assert page.evaluate("document.querySelector(':target') && document.querySelector(':target').id") == first
    finally:
        page.context.close()


# The keyboard focus ring of the element that has focus, and the colour behind the ring (what is
# drawn just outside the element: the nearest opaque background there, which for the skip link is
# the masthead it covers). WCAG 2.4.7 and 1.4.11 ask for a visible ring, 3:1 against what surrounds
# it. axe does not check this.
FOCUS_RING = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const s = getComputedStyle(e), r = e.getBoundingClientRect();
  const off = parseFloat(s.outlineOffset) + parseFloat(s.outlineWidth) / 2;
  const cx = (r.left + r.right) / 2, cy = (r.top + r.bottom) / 2;
  const point = [[cx, r.bottom + off], [cx, r.top - off], [r.left - off, cy], [r.right + off, cy]]
    .find(([x, y]) => x >= 0 && y >= 0 && x < innerWidth && y < innerHeight);
  const under = point ? document.elementsFromPoint(...point).find(u => u !== e && !e.contains(u)) : null;
  let bg = 'rgb(255, 255, 255)';
  for (let a = under || e.parentElement; a; a = a.parentElement) {
    const c = getComputedStyle(a).backgroundColor;
    if (c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') { bg = c; break; }
  }
  const name = e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
    (e.className ? '.' + String(e.className).trim().split(/\\s+/).join('.') : '') +
    ' "' + (e.textContent || '').trim().slice(0, 40) + '"';
  return {name, style: s.outlineStyle, width: parseFloat(s.outlineWidth), color: s.outlineColor, background: bg};
}"""


def _luminance(css_colour: str) -> float:
    channels = [int(float(x)) / 255 for x in re.findall(r"[\d.]+", css_colour)[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("build", list(BUILDS))
def test_keyboard_focus_is_visible_on_every_background(chromium, served, build):
    page = open_report(chromium, served, build, "en", VIEWPORTS["desktop"])
    try:
        problems, seen = [], 0
        for _ in range(40):  # the skip link, the masthead, the contents and into the text
            page.keyboard.press("Tab")
            ring = page.evaluate(FOCUS_RING)
            if ring is None:
                break
            seen += 1
            if ring["style"] == "none" or ring["width"] < 2:
                problems.append(f"{ring['name']}: no focus ring ({ring['style']} {ring['width']}px)")
            elif contrast(ring["color"], ring["background"]) < 3:
                problems.append(f"{ring['name']}: focus ring {ring['color']} on {ring['background']} "
                                f"has contrast {contrast(ring['color'], ring['background']):.2f}:1 (< 3:1)")
        assert seen >= 5, f"only {seen} element(s) took the keyboard focus"
        assert not problems, "focus not visible:\n  " + "\n  ".join(problems)
    finally:
        page.context.close()


def test_axe_reports_violations_it_is_given(chromium):
    """The checker itself: a page with known faults gives those violations (axe is really running)."""
    page = chromium.page(VIEWPORTS["desktop"])
    try:
        page.set_content('<html><body><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
                         '<p style="color:#bbb;background:#fff">faint text</p><a href="#x"></a></body></html>')
        result = run_axe(page)
        assert result["version"].startswith("4.")
        ids = {v["id"] for v in result["violations"]}
        assert {"image-alt", "color-contrast", "html-has-lang", "document-title", "link-name"} <= ids, ids
        report = describe_violations(result, "the test page")
        assert "image-alt (critical)" in report and "color-contrast (serious)" in report
    finally:
        page.context.close()
