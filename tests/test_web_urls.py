"""The web edition's URL policy is the PDF's: a page loads only files of the project and data: URIs.

WeasyPrint never loads `srcset`, `<iframe>` or `<video poster>`, so the PDF stayed clean while the
web edition copied such URLs through; now both `check` and the build refuse them, located."""

from __future__ import annotations

import pytest

from conftest import run_cli
from pressroom.render.urls import allowed, refused_urls, srcset_urls

DOT = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="

CASES = {
    "srcset": (f'<img src="{DOT}" srcset="{DOT} 1x, https://tracker.example/pixel.png 2x" alt="A dot">',
               "https://tracker.example/pixel.png", "<img srcset>"),
    "iframe": ('<iframe src="https://video.example/embed/1" title="A video"></iframe>',
               "https://video.example/embed/1", "<iframe src>"),
    "poster": ('<video poster="//cdn.example/still.jpg"></video>', "//cdn.example/still.jpg", "<video poster>"),
    "picture": (f'<picture><source srcset="file:///etc/passwd"><img src="{DOT}" alt="A dot"></picture>',
                "file:///etc/passwd", "<source srcset>"),
    "style": ('<p style="background: url(http://tracker.example/bg.png)">Text</p>',
              "http://tracker.example/bg.png", "<p style>"),
}


def add(chapter, html: str) -> int:
    """Append raw HTML to a chapter; the line it is on."""
    lines = chapter.read_text().split("\n")
    chapter.write_text("\n".join(lines + ["", html, ""]))
    return len(lines) + 2


@pytest.mark.parametrize("case", sorted(CASES))
def test_check_refuses_what_a_browser_would_load_from_elsewhere(case, mini_copy, capsys):
    html, url, where = CASES[case]
    line = add(mini_copy / "chapters" / "01-first.md", html)
    assert run_cli("check", "--manuscript", mini_copy) == 1
    # the linter refuses it at its line, as it refuses what the PDF would load (the same message)
    assert f"chapters/01-first.md:{line}: error: refused to load '{url}' (" in capsys.readouterr().out


def test_the_build_refuses_them_at_the_same_lines(mini_copy, tmp_path, capsys):
    chapter = mini_copy / "chapters" / "01-first.md"
    lines = {case: add(chapter, CASES[case][0]) for case in ("srcset", "iframe", "poster")}
    out = tmp_path / "dist"
    assert run_cli("--manuscript", mini_copy, "--out", out, "--quiet", "--language", "en") == 1
    err = capsys.readouterr().err
    for case, line in lines.items():
        _, url, where = CASES[case]
        assert f"chapters/01-first.md:{line}: refused to load '{url}' (" in err
    assert not (out / "en" / "report.html").exists()


def test_what_stays_inside_the_project_is_allowed():
    assert allowed("figures/map.png") and allowed(DOT) and allowed("#top") and allowed("a%20b.png")
    for url in ("https://x.example/a.png", "//x.example/a.png", "/etc/passwd", "file:///etc/passwd",
                "../outside.png", "figures/%2e%2e/%2e%2e/x.png", "javascript:alert(1)", "\\\\server\\share"):
        assert not allowed(url), url
    assert srcset_urls(f"a.png 1x,b.png 2x, {DOT} 3x") == ["a.png", "b.png", DOT]
    assert refused_urls('<a href="https://example.org/">a link is not loaded</a>') == []
    assert refused_urls('<iframe srcdoc="<img src=https://x.example/a.png>"></iframe>')[0][0] == "<iframe srcdoc>"
