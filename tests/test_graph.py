"""The build's plan and task graph, without a build: what the caches decide, which code the keys
hash; and the dask executor against the local one, on real outputs."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from pressroom.build import cache as cache_module
from pressroom.build.cache import edition_key, rendering_modules
from pressroom.build.graph import Kind, plan_build
from pressroom.build.make import _meta_of
from pressroom.load.editions import editions_to_build
from pressroom.load.manuscript import load_manuscript

from conftest import FIXTURES, ROOT, run_cli


class FakeCache:
    """An output cache holding what the test puts in it."""

    def __init__(self, hits: dict[str, tuple] | None = None):
        self.hits = hits or {}
        self.asked: list[str] = []

    def load(self, key):
        self.asked.append(key)
        return self.hits.get(key)


@pytest.fixture(scope="module")
def mini():
    m = load_manuscript(FIXTURES / "mini", ROOT / "styles")
    return m, editions_to_build(m)


def test_nothing_cached_every_report_is_made_and_briefs_wait_for_their_report(mini):
    m, editions = mini
    plan = plan_build(m, editions, FakeCache())
    reports = [e for e in editions if e.spec.kind == "report"]
    briefs = [e for e in editions if e.spec.kind == "brief"]
    assert plan.reused == ()
    assert plan.reports == tuple(reports) and len(reports) == 2
    assert plan.briefs_now == ()
    assert plan.briefs_later == tuple(briefs) and briefs
    assert set(plan.keys) == {e.id for e in reports}  # briefs' keys need their report's page numbers


def test_a_cached_report_is_reused_and_its_briefs_are_decided_at_once(mini):
    m, editions = mini
    en_report = next(e for e in editions if e.spec.kind == "report" and e.language == "en")
    anchors = {"US-1": "12"}
    meta = {"pages": 20, "seconds": 1.0, "anchors": anchors, "entries": {}, "files": [], "warnings": []}
    en_brief = next(e for e in editions if e.spec.kind == "brief" and e.language == "en")
    brief_meta = {**meta, "anchors": {}}
    hits = {edition_key(m, en_report): (meta, {}), edition_key(m, en_brief, anchors): (brief_meta, {})}
    plan = plan_build(m, editions, FakeCache(hits))
    assert [r.edition.id for r in plan.reused] == [en_report.id, en_brief.id]
    assert all(r.reused for r in plan.reused)
    assert plan.report_pages == {"en": anchors}
    assert [e.language for e in plan.reports] == ["fr"]
    assert {e.id for e in plan.briefs_now} == {e.id for e in editions if e.spec.kind == "brief"
                                               and e.language == "en"} - {en_brief.id}
    assert all(e.language == "fr" for e in plan.briefs_later)


def test_no_cache_plans_everything(mini):
    m, editions = mini
    plan = plan_build(m, editions, None)
    assert plan.reused == () and len(plan.reports) + len(plan.briefs_later) == len(editions)


def test_task_kinds_are_the_graph_s_vocabulary():
    assert {k.value for k in Kind} == {"page", "part", "join", "web", "brief"}


def test_meta_of_a_result_round_trips_through_the_plan(mini):
    """What the build stores for an edition is what the plan reads back as reused."""
    from pressroom.build.make import EditionResult, Output
    m, editions = mini
    e = editions[0]
    r = EditionResult(e, (Output("en/report.pdf", b"%PDF", {"path": "en/report.pdf"}),), 3, 0.5, {"a": "1"})
    meta = {**_meta_of(r), "files": ["en/report.pdf"]}
    plan = plan_build(m, [e], FakeCache({edition_key(m, e): (meta, {"en/report.pdf": b"%PDF"})}))
    assert plan.reused[0].outputs[0].data == b"%PDF" and plan.reused[0].anchors == {"a": "1"}


# Cache keys from the code itself ------------------------------------------------------------------

def test_rendering_modules_are_read_from_the_imports():
    names = {p.relative_to(cache_module.PACKAGE).as_posix() for p in rendering_modules()}
    # fontembed rewrites every embedded font: it was missing from the hand-kept list this replaced
    assert {"pdf/fontembed.py", "pdf/layout.py", "pdf/join.py", "render/markdown.py", "load/lint.py",
            "render/html.py", "model.py", "pdf/content.py"} <= names
    assert not any(n.startswith("distribute/") for n in names)
    assert "cli.py" not in names and "build/preview.py" not in names


def test_editing_any_rendering_module_changes_the_key(tmp_path):
    package = tmp_path / "pressroom"
    shutil.copytree(cache_module.PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    before = cache_module._code_hash(package)
    modules = rendering_modules(package)
    assert len(modules) > 15
    for path in modules:
        original = path.read_bytes()
        path.write_bytes(original + b"\n# edited\n")
        cache_module._code_hash.cache_clear()
        assert cache_module._code_hash(package) != before, path
        path.write_bytes(original)
    cache_module._code_hash.cache_clear()
    assert cache_module._code_hash(package) == before
    # a module the renderer does not import does not count
    (package / "distribute" / "send.py").write_text("# edited\n")
    cache_module._code_hash.cache_clear()
    assert cache_module._code_hash(package) == before
    cache_module._code_hash.cache_clear()


# The dask executor -------------------------------------------------------------------------------

def _digests(out: Path) -> dict[str, str]:
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file() and ".cache" not in p.parts}


def test_dask_executor_builds_byte_identical_outputs(tmp_path, mini_build):
    """The same graph on a local dask cluster of two workers gives the local executor's bytes."""
    out = tmp_path / "dist"
    assert run_cli("build", "--manuscript", FIXTURES / "mini", "--out", out, "--quiet", "--no-cache",
                   "--executor", "dask", "--jobs", "2") == 0
    local, remote = _digests(mini_build), _digests(out)
    assert remote == local and any(k.endswith(".pdf") for k in local)


def test_dask_executor_reports_located_errors(tmp_path, mini_copy, capsys):
    """A refusal on a dask worker comes back as the located error the local executor gives."""
    chapter = next((mini_copy / "chapters").glob("*.md"))
    chapter.write_text(chapter.read_text() + '\n<link rel="attachment" href="file:///etc/hostname">\n')
    code = run_cli("build", "--manuscript", mini_copy, "--out", tmp_path / "dist", "--quiet",
                   "--executor", "dask", "--jobs", "2")
    err = capsys.readouterr().err
    assert code == 1
    assert "refused to load 'file:///etc/hostname'" in err
    assert f"{chapter.name}:" in err and "Traceback" not in err


def test_scheduler_that_cannot_be_reached_is_a_located_usage_error(tmp_path, capsys):
    code = run_cli("build", "--manuscript", FIXTURES / "mini", "--out", tmp_path / "dist", "--quiet",
                   "--executor", "dask", "--scheduler", "tcp://127.0.0.1:9")
    err = capsys.readouterr().err
    assert code == 1
    assert "--scheduler: cannot reach the dask scheduler at 'tcp://127.0.0.1:9'" in err
