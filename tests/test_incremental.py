"""Incremental and parallel builds: unchanged editions are reused, edits re-render only what they touch."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from conftest import FIXTURES
from pressroom.build.pipeline import BuildOptions, build
from pressroom.build.workers import Task, run_tasks

ROOT = Path(__file__).resolve().parent.parent


def statuses(result) -> dict[str, bool]:
    return {r.edition.id: r.reused for r in result.results}


def test_unchanged_editions_are_reused_and_an_edit_touches_only_its_editions(mini_copy, tmp_path):
    out = tmp_path / "dist"
    opts = BuildOptions(mini_copy, out, jobs=2)
    first = build(opts)
    assert not any(statuses(first).values())
    again = build(opts)
    assert all(statuses(again).values())
    assert again.manifest == first.manifest

    # PR-1 is for the press only: the report changes, the press brief changes, the lawmakers'
    # briefs cite unchanged pages and are reused.
    rec = mini_copy / "recommendations" / "PR-1.md"
    rec.write_text(rec.read_text().replace("Newsrooms should keep", "Newsrooms must keep"))
    third = statuses(build(opts))
    assert third == {"report": False, "report.fr": True, "lawmakers": True, "lawmakers.fr": True, "press": False}


def test_parallel_and_sequential_builds_give_the_same_bytes(tmp_path):
    a = build(BuildOptions(FIXTURES / "mini", tmp_path / "a", jobs=1, use_cache=False, languages=("en",)))
    b = build(BuildOptions(FIXTURES / "mini", tmp_path / "b", jobs=2, use_cache=False, languages=("en",)))
    assert a.manifest == b.manifest
    for entry in a.manifest["outputs"]:
        assert (tmp_path / "a" / entry["path"]).read_bytes() == (tmp_path / "b" / entry["path"]).read_bytes()


def test_a_build_with_nothing_changed_does_not_import_weasyprint(tmp_path):
    out = tmp_path / "dist"
    args = [sys.executable, str(ROOT / "build.py"), "--manuscript", str(FIXTURES / "mini"), "--out", str(out), "--quiet"]
    subprocess.run(args, check=True)
    probe = ("import sys\nfrom pressroom.cli import main\n"
             f"code = main({args[2:]!r})\n"
             "print(code, 'weasyprint' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True)
    assert done.stdout.strip() == "0 False"


def _sleep(seconds):
    time.sleep(seconds)
    return seconds


def test_the_watchdog_stops_a_render_that_hangs():
    tasks = [Task("quick", "editions.yml:3", _sleep, (0.1,)), Task("stuck", "editions.yml:9", _sleep, (30,))]
    start = time.monotonic()
    results = run_tasks(tasks, jobs=2, timeout=1.0)
    assert time.monotonic() - start < 5
    assert results["quick"] == ("ok", 0.1)
    kind, problems = results["stuck"]
    assert kind == "error"
    assert str(problems[0]) == ("editions.yml:9: edition 'stuck' did not finish rendering within 1 s and was "
                                "stopped (the layout may loop; simplify the page or raise --timeout)")
    inline = run_tasks([Task("stuck", "editions.yml:9", _sleep, (30,))], jobs=1, timeout=0.5)
    assert inline["stuck"][0] == "error"


def _name(name):
    return name


def test_tasks_run_by_priority_and_what_a_task_unlocks_runs_next_among_equals():
    order = []

    def done(t, outcome):
        order.append(t.name)
        if t.name == "part-1":
            return [Task("join", "", _name, ("join",), priority=0), Task("late", "", _name, ("late",), priority=2)]
        return []

    tasks = [Task("brief", "", _name, ("brief",), priority=2), Task("part-1", "", _name, ("part-1",)),
             Task("part-2", "", _name, ("part-2",)), Task("page", "", _name, ("page",), priority=0)]
    results = run_tasks(tasks, jobs=1, timeout=10, on_done=done)
    assert order == ["page", "part-1", "join", "part-2", "late", "brief"]
    assert results["late"] == ("ok", "late")


def test_idle_runs_in_this_process_each_time_workers_have_started():
    import os
    calls = []
    results = run_tasks([Task(f"t{i}", "", _sleep, (0.05,)) for i in range(4)], jobs=2, timeout=10,
                        idle=lambda: calls.append(os.getpid()))
    # Two workers at first, then one each time one finishes (the last finishes start none, but the
    # loop goes round once more for each): at least three calls, all here.
    assert len(calls) >= 3
    assert set(calls) == {os.getpid()}
    assert all(r == ("ok", 0.05) for r in results.values())


def test_a_partial_build_keeps_the_other_entries_of_the_manifest(tmp_path):
    out = tmp_path / "dist"
    full = build(BuildOptions(FIXTURES / "mini", out, languages=("en",)))
    one = build(BuildOptions(FIXTURES / "mini", out, edition="press", languages=("en",)))
    assert {e["path"] for e in one.manifest["outputs"]} == {e["path"] for e in full.manifest["outputs"]}


def test_an_edited_chapter_is_laid_out_alone_and_the_report_is_the_one_a_cold_build_makes(mini_copy, tmp_path):
    out = tmp_path / "dist"
    opts = BuildOptions(mini_copy, out, jobs=2, languages=("en",), edition="report")
    build(opts)
    units = out / ".cache" / "parts" / "units"
    before = set(units.iterdir())
    chapter = mini_copy / "chapters" / "02-second.md"
    text = chapter.read_text()
    assert "This paragraph fills the page" in text
    chapter.write_text(text.replace("This paragraph fills the page", "This edited paragraph fills the page", 1))
    edited = build(opts)
    laid_again = set(units.iterdir()) - before
    # The second chapter only (the contents' page numbers did not move, so the front matter is reused).
    assert len(laid_again) == 1, sorted(p.name for p in laid_again)
    cold = build(BuildOptions(mini_copy, tmp_path / "cold", jobs=1, use_cache=False, languages=("en",),
                              edition="report"))
    pdf = "en/report.pdf"
    assert (out / pdf).read_bytes() == (tmp_path / "cold" / pdf).read_bytes()
    assert edited.manifest["outputs"][0]["sha256"] == cold.manifest["outputs"][0]["sha256"]


def _record_layouts(monkeypatch) -> list[list[str]]:
    """Names of the parts of each document laid out (in this process: jobs=1)."""
    import pressroom.pdf.parts as parts
    calls: list[list[str]] = []
    real = parts.layout_unit

    def recording(split, chosen, *args):
        calls.append([p.name for p in chosen])
        return real(split, chosen, *args)

    monkeypatch.setattr(parts, "layout_unit", recording)
    return calls


def test_only_the_contents_and_the_summary_wait_for_the_other_parts(mini_copy, tmp_path, monkeypatch):
    calls = _record_layouts(monkeypatch)
    build(BuildOptions(mini_copy, tmp_path / "dist", jobs=1, use_cache=False, languages=("en",), edition="report"))
    names = [n for c in calls for n in c]
    late = ["contents", "summary-of-recommendations"]
    assert sorted(names[-2:]) == sorted(late)  # last, and once each: their numbers were right the first time
    assert sorted(names[:-2]) == sorted(["cover", "preface", "first", "second", "recommendations", "about"])


def test_an_edit_that_moves_pages_lays_out_the_contents_and_summary_again_as_a_cold_build_would(mini_copy, tmp_path,
                                                                                                monkeypatch):
    out = tmp_path / "dist"
    opts = BuildOptions(mini_copy, out, jobs=1, languages=("en",), edition="report")
    first = build(opts)
    chapter = mini_copy / "chapters" / "01-first.md"
    chapter.write_text(chapter.read_text() + "\n\n" + "\n\n".join(
        f"An added paragraph, number {i}, long enough to push the next chapter two pages on. " * 6 for i in range(12)))
    calls = _record_layouts(monkeypatch)
    edited = build(opts)
    assert sorted(n for c in calls for n in c) == ["contents", "first", "summary-of-recommendations"]
    assert edited.results[0].anchors["second"] != first.results[0].anchors["second"]
    cold = build(BuildOptions(mini_copy, tmp_path / "cold", jobs=1, use_cache=False, languages=("en",),
                              edition="report"))
    assert (out / "en/report.pdf").read_bytes() == (tmp_path / "cold" / "en/report.pdf").read_bytes()


def test_a_task_that_may_run_here_runs_here_only_when_no_other_waits_to_start():
    import os
    tasks = [Task("a", "", os.getpid, (), here=True), Task("b", "", _sleep, (0.05,))]
    results = run_tasks(tasks, jobs=2, timeout=10)
    assert results["a"][1] != os.getpid()  # another task was waiting: forked as usual
    then = {"c": [Task("d", "", os.getpid, (), here=True)]}  # d waits for c, like a join for its parts
    last = run_tasks([Task("c", "", _sleep, (0.05,))], jobs=2, timeout=10, on_done=lambda t, _: then.get(t.name))
    assert last["d"] == ("ok", os.getpid())
    beside = run_tasks([Task("web", "", _sleep, (0.3,), priority=0), Task("join", "", os.getpid, (), here=True)],
                       jobs=2, timeout=10)
    assert beside["join"] == ("ok", os.getpid())  # the other one runs in a worker meanwhile


def _pid_after(seconds):
    import os
    time.sleep(seconds)
    return os.getpid()


def test_workers_forked_once_idle_has_run_are_kept_for_the_next_tasks():
    tasks = [Task(f"t{i}", "", _pid_after, (0.05,)) for i in range(8)]
    results = run_tasks(tasks, jobs=2, timeout=10, idle=lambda: None)
    pids = [results[f"t{i}"][1] for i in range(8)]
    assert len(set(pids[:2])) == 2  # forked before idle() ran: not kept
    assert len(set(pids[2:])) == 2 and not set(pids[2:]) & set(pids[:2])  # two workers for the six others


def test_a_task_that_is_not_pooled_gets_a_worker_of_its_own():
    tasks = [Task(f"t{i}", "", _pid_after, (0.05,)) for i in range(3)] + [Task("own", "", _pid_after, (0.05,),
                                                                              pooled=False, priority=2)]
    results = run_tasks(tasks, jobs=2, timeout=10)
    assert results["own"][1] not in {results[f"t{i}"][1] for i in range(3)}


def test_the_watchdog_stops_a_pooled_worker_that_hangs_and_the_others_go_on():
    tasks = [Task("a", "", _pid_after, (0.05,)), Task("b", "", _pid_after, (0.05,), priority=2),
             Task("stuck", "editions.yml:9", _sleep, (30,), priority=3), Task("c", "", _pid_after, (0.05,), priority=4)]
    start = time.monotonic()
    results = run_tasks(tasks, jobs=1 + 1, timeout=1.0)
    assert time.monotonic() - start < 5
    assert results["stuck"][0] == "error"
    assert results["c"][0] == "ok" and results["a"][0] == "ok" and results["b"][0] == "ok"


def _die():
    import os
    os._exit(7)


def _boom():
    raise RuntimeError("layout exploded")


def test_a_worker_that_dies_or_raises_is_reported_and_not_reused():
    tasks = [Task("warm", "", _pid_after, (0.01,)), Task("dies", "editions.yml:3", _die, (), priority=2),
             Task("raises", "editions.yml:4", _boom, (), priority=3), Task("after", "", _pid_after, (0.01,), priority=4)]
    results = run_tasks(tasks, jobs=1 + 1, timeout=10)
    assert [str(p) for p in results["dies"][1]] == [
        "editions.yml:3: internal error while rendering 'dies': the worker rendering 'dies' died (exit code 7)"]
    assert [str(p) for p in results["raises"][1]] == [
        "editions.yml:4: internal error while rendering 'raises': RuntimeError: layout exploded"]
    assert results["after"][0] == "ok"
