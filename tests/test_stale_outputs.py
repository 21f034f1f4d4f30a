"""Outputs a build no longer makes are removed from the output folder, in the same transaction as the
new ones; partial builds keep the other editions' outputs; files pressroom did not write stay."""

from __future__ import annotations

import json

from pressroom.build.output import RECORD, commit
from pressroom.build.pipeline import BuildOptions, build


def listed(out) -> set[str]:
    return {e["path"] for e in json.loads((out / "manifest.json").read_text())["outputs"]}


def files(out) -> set[str]:
    return {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and ".cache" not in p.parts}


def test_an_edition_taken_out_is_removed_and_partial_builds_keep_the_rest(mini_copy, tmp_path):
    out = tmp_path / "dist"
    build(BuildOptions(mini_copy, out, jobs=2))
    assert {"en/press.pdf", "fr/lawmakers.pdf", "fr/report.html", "web.css"} <= files(out)
    (out / "notes.txt").write_text("someone else's file")

    # The French lawmakers' brief and the press brief are taken out of editions.yml.
    editions = mini_copy / "editions.yml"
    text = editions.read_text()
    editions.write_text(text.replace("  - id: press\n    audience: press\n    languages: [en]\n    page_budget: 4\n", "")
                        .replace("  - id: lawmakers\n    audience: lawmakers\n    languages: [en, fr]",
                                 "  - id: lawmakers\n    audience: lawmakers\n    languages: [en]"))
    # A partial build (English only) keeps the French report, drops what no edition makes any more.
    build(BuildOptions(mini_copy, out, jobs=2, languages=("en",)))
    assert "en/press.pdf" not in files(out) and "fr/lawmakers.pdf" not in files(out)
    assert {"fr/report.pdf", "fr/report.html", "en/report.pdf", "en/lawmakers.pdf", "web.css", "notes.txt"} <= files(out)
    assert listed(out) == {"en/report.pdf", "en/report.html", "en/lawmakers.pdf", "fr/report.pdf", "fr/report.html"}

    # French goes entirely: a full build removes its outputs and its folder; the foreign file stays.
    pub = mini_copy / "publication.yml"
    pub.write_text(pub.read_text().replace("languages: [en, fr]", "languages: [en]"))
    editions.write_text(editions.read_text().replace("languages: [en, fr]", "languages: [en]"))
    build(BuildOptions(mini_copy, out, jobs=2))
    assert not (out / "fr").exists()
    assert files(out) == listed(out) | {"manifest.json", "inclusion.json", "web.css", "notes.txt"} | \
        {f for f in files(out) if f.startswith("fonts/")}
    assert "notes.txt" not in json.loads((out / ".cache" / RECORD).read_text())


def test_a_report_without_a_web_edition_drops_the_web_files(tmp_path):
    out = tmp_path / "dist"
    commit(out, {"en/report.pdf": b"pdf", "en/report.html": b"html", "web.css": b"css", "fonts/a.ttf": b"f",
                 "manifest.json": json.dumps({"outputs": [{"path": "en/report.pdf"}, {"path": "en/report.html"}]}).encode(),
                 "inclusion.json": b"[]"})
    # A partial build keeps the support files of the editions it did not make.
    commit(out, {"en/brief.pdf": b"pdf", "inclusion.json": b"[]",
                 "manifest.json": json.dumps({"outputs": [{"path": "en/report.pdf"}, {"path": "en/report.html"},
                                                          {"path": "en/brief.pdf"}]}).encode()}, partial=True)
    assert files(out) == {"en/report.pdf", "en/report.html", "en/brief.pdf", "web.css", "fonts/a.ttf",
                          "manifest.json", "inclusion.json"}
    # A full build without the web edition: its page, stylesheet and fonts go.
    commit(out, {"en/report.pdf": b"pdf", "inclusion.json": b"[]",
                 "manifest.json": json.dumps({"outputs": [{"path": "en/report.pdf"}]}).encode()})
    assert files(out) == {"en/report.pdf", "manifest.json", "inclusion.json"}
    assert not (out / "fonts").exists()


def test_without_the_record_only_what_the_previous_manifest_listed_is_removed(tmp_path):
    out = tmp_path / "dist"
    commit(out, {"a.pdf": b"1", "b.pdf": b"2", "extra.css": b"x",
                 "manifest.json": json.dumps({"outputs": [{"path": "a.pdf"}, {"path": "b.pdf"}]}).encode()})
    (out / ".cache" / RECORD).unlink()  # the cache folder was cleared
    commit(out, {"a.pdf": b"1", "manifest.json": json.dumps({"outputs": [{"path": "a.pdf"}]}).encode()})
    assert files(out) == {"a.pdf", "extra.css", "manifest.json"}


def test_removals_are_part_of_the_journal_a_killed_commit_rolls_forward(tmp_path):
    from pressroom.build.output import JOURNAL, _work, recover
    out = tmp_path / "dist"
    commit(out, {"old.pdf": b"1", "manifest.json": json.dumps({"outputs": [{"path": "old.pdf"}]}).encode()})
    work = _work(out)
    (work / "files").mkdir(parents=True)
    (work / "files" / "new.pdf").write_bytes(b"2")
    (work / JOURNAL).write_text(json.dumps({"replace": ["new.pdf"], "remove": ["old.pdf", "../outside", ".cache/x"],
                                            "record": ["new.pdf"]}))
    (tmp_path / "outside").write_text("not pressroom's")
    recover(out)
    assert files(out) == {"new.pdf", "manifest.json"}
    assert (tmp_path / "outside").exists()
    assert json.loads((out / ".cache" / RECORD).read_text()) == ["new.pdf"]
