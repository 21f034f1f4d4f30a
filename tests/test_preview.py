"""Live preview: the page changes within a second of a save, errors show in the page, the server stays up."""

from __future__ import annotations

import threading
import time
import urllib.request

from pressroom.build.preview import Preview

ROOT_STYLES = __import__("pathlib").Path(__file__).resolve().parent.parent / "styles"


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as r:
        return r.read().decode()


def wait_for(url: str, text: str, seconds: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if text in get(url):
            return time.monotonic() - start
        time.sleep(0.05)
    raise AssertionError(f"{text!r} did not appear within {seconds} s")


def test_save_shows_in_the_page_and_errors_do_not_stop_the_server(mini_copy, tmp_path):
    preview = Preview(mini_copy, ROOT_STYLES, tmp_path / "dist", port=0, interval=0.1)
    preview._pdf_worker = lambda: None  # PDFs are covered by the build tests; keep this test quick
    announced = []
    thread = threading.Thread(target=preview.serve, args=(announced.append,), daemon=True)
    thread.start()
    for _ in range(100):
        if announced:
            break
        time.sleep(0.05)
    url = announced[0].split()[2] + "en/report.html"
    assert "The first chapter opens here" in get(url)
    assert "/__version" in get(url)  # the live-reload script is in the page

    chapter = mini_copy / "chapters" / "01-first.md"
    chapter.write_text(chapter.read_text().replace("The first chapter opens here", "EDITED-OPENING"))
    assert wait_for(url, "EDITED-OPENING", 3.0) < 1.5

    chapter.write_text(chapter.read_text() + "\nSee [LM-77](#LM-77).\n")
    wait_for(url, "link to unknown recommendation &#x27;LM-77&#x27;", 3.0)
    assert "EDITED-OPENING" in get(url)  # the last good page stays, with the error over it

    chapter.write_text(chapter.read_text().replace("See [LM-77](#LM-77).", ""))
    start = time.monotonic()
    while "LM-77" in get(url) and time.monotonic() - start < 3:
        time.sleep(0.05)
    assert "LM-77" not in get(url)
    preview.stop.set()
