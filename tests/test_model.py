"""The records passed between stages (pressroom.model, and the build's Output, EditionResult and Plan):
frozen, every field documented in one line, and their helpers as documented."""

from __future__ import annotations

import ast
import dataclasses
import inspect
from pathlib import Path

import pytest

from pressroom import model
from pressroom.build import graph, make
from pressroom.model import (
    Audience,
    Edition,
    EditionSpec,
    Manuscript,
    Publication,
    Recommendation,
    Rubric,
    Section,
    Texts,
)

MODEL_CLASSES = ["Audience", "Rubric", "Epigraph", "Publication", "Section", "Recommendation", "Texts",
                 "EditionSpec", "Manuscript", "Edition", "RenderedHTML"]
RECORDS = [(model, name) for name in MODEL_CLASSES] + [(make, "Output"), (make, "EditionResult"), (graph, "Plan")]


def dataclass_defs(module) -> dict[str, ast.ClassDef]:
    """The classes of a module's source decorated with @dataclass(...)."""
    tree = ast.parse(Path(inspect.getfile(module)).read_text())
    out = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            for d in node.decorator_list:
                target = d.func if isinstance(d, ast.Call) else d
                if isinstance(target, ast.Name) and target.id == "dataclass":
                    out[node.name] = node
    return out


def field_docs(node: ast.ClassDef) -> dict[str, str | None]:
    """Each annotated field of a class body, with the string literal right after it (or None)."""
    out = {}
    body = node.body
    for i, stmt in enumerate(body):
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            nxt = body[i + 1] if i + 1 < len(body) else None
            doc = nxt.value.value if (isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant)
                                      and isinstance(nxt.value.value, str)) else None
            out[stmt.target.id] = doc
    return out


def test_the_model_s_dataclasses_are_the_ones_listed_here():
    # A record added to the model is then checked by the tests below.
    assert list(dataclass_defs(model)) == MODEL_CLASSES
    assert {"Output", "EditionResult"} <= set(dataclass_defs(make))
    assert "Plan" in dataclass_defs(graph)


@pytest.mark.parametrize("module, name", RECORDS, ids=[n for _, n in RECORDS])
def test_every_record_is_frozen(module, name):
    cls = getattr(module, name)
    assert dataclasses.is_dataclass(cls)
    assert cls.__dataclass_params__.frozen is True
    instance = object.__new__(cls)
    for f in dataclasses.fields(cls):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(instance, f.name, None)


@pytest.mark.parametrize("module, name", RECORDS, ids=[n for _, n in RECORDS])
def test_every_field_has_a_one_line_docstring(module, name):
    node = dataclass_defs(module)[name]
    assert ast.get_docstring(node), f"{name} has no docstring"
    docs = field_docs(node)
    # the fields read from the source are the dataclass's fields
    assert list(docs) == [f.name for f in dataclasses.fields(getattr(module, name))]
    undocumented = [f for f, d in docs.items() if d is None or not d.strip()]
    assert undocumented == []
    multiline = [f for f, d in docs.items() if "\n" in d.strip()]
    assert multiline == []


def test_field_docs_reads_what_follows_each_field():
    # the reader itself: a field without its string is found out
    node = ast.parse('@dataclass(frozen=True)\nclass A:\n    """A."""\n    x: int\n    """The x."""\n'
                     '    y: int = 0\n    z: str = ""\n    """Two\n    lines."""\n').body[0]
    assert field_docs(node) == {"x": "The x.", "y": None, "z": "Two\n    lines."}


# helpers

def publication(**kw) -> Publication:
    base = dict(title="T", subtitle="", authors=("A",), organisation="O", publisher="P", date="2020-05-04",
                version="1", language="en", locale="en_CA", languages=("en", "fr"),
                audiences=(Audience("lawmakers", "Members of the Assembly", "Assembly"),
                           Audience("press", "Journalists", "Press")),
                rubrics=(Rubric("leadership", "Enabling leadership", 1), Rubric("knowledge", "Ensuring knowledge", 2)),
                epigraph=None, licence="L", subject="S", keywords=(), page_size="letter", website="", contact="")
    return Publication(**{**base, **kw})


def rec(rid: str) -> Recommendation:
    return Recommendation(rid, "t", "leadership", "both", ("lawmakers",), "", "", Path(f"{rid}.md"), 8)


def spec(eid: str, kind: str = "report", audience: str | None = None) -> EditionSpec:
    return EditionSpec(eid, kind, audience, ("en", "fr"), ("recommendations",), "all", "print.css", None, True)


def test_publication_finds_its_audiences_and_rubrics_by_id():
    p = publication()
    assert p.audience("press") == Audience("press", "Journalists", "Press")
    assert p.audience("lawmakers").short == "Assembly"
    assert p.rubric("knowledge") == Rubric("knowledge", "Ensuring knowledge", 2)
    assert p.rubric("leadership").order == 1


def test_publication_labels_default_to_no_overrides():
    assert publication().labels == ()


@pytest.mark.parametrize("rid, key", [
    ("US-2", (0, "US", 2)),
    ("CA-10", (1, "CA", 10)),
    ("CS-1", (2, "CS", 1)),
    ("MD-3", (3, "MD", 3)),
    ("LM-1", (4, "LM", 1)),
    ("US-x", (0, "US", 0)),   # not a number: first of its prefix
])
def test_recommendation_sort_key(rid, key):
    assert rec(rid).sort_key == key


def test_recommendations_sort_us_ca_cs_md_then_others_numbers_as_numbers():
    ids = ["MD-1", "PR-1", "US-10", "CA-2", "LM-2", "US-2", "CS-1", "CA-1", "LM-1"]
    assert [r.id for r in sorted(map(rec, ids), key=lambda r: r.sort_key)] == \
        ["US-2", "US-10", "CA-1", "CA-2", "CS-1", "MD-1", "LM-1", "LM-2", "PR-1"]


def manuscript() -> Manuscript:
    en, fr = publication(), publication(language="fr", locale="fr_CA", title="T fr")
    texts = {"en": Texts("en", en, (), ()), "fr": Texts("fr", fr, (), ())}
    return Manuscript(Path("m"), Path("s"), (spec("report"), spec("press", "brief", "press")), texts)


def test_manuscript_original_language_and_publication_are_those_of_its_first_texts():
    m = manuscript()
    assert m.original_language == "en"
    assert m.publication.title == "T"
    french_first = Manuscript(m.root, m.styles, m.editions, {"fr": m.texts["fr"], "en": m.texts["en"]})
    assert french_first.original_language == "fr"
    assert french_first.publication.title == "T fr"


def test_manuscript_finds_an_edition_by_id():
    m = manuscript()
    assert m.edition("press") is m.editions[1]
    assert m.edition("report") is m.editions[0]
    assert m.warnings == ()


def test_a_manuscript_hashes_without_its_texts():
    m = manuscript()
    other = dataclasses.replace(m, texts={})
    assert hash(m) == hash(other)
    assert m != other  # equality still compares them


def edition(s: EditionSpec, language: str) -> Edition:
    return Edition(s, language, publication(language=language), (), (), (), (), False)


def test_edition_id_is_the_spec_s_in_english_and_suffixed_in_other_languages():
    assert edition(spec("report"), "en").id == "report"
    assert edition(spec("report"), "fr").id == "report.fr"
    assert edition(spec("press", "brief", "press"), "fr").id == "press.fr"


def test_edition_audience_is_its_spec_s():
    assert edition(spec("press", "brief", "press"), "en").audience == "press"
    assert edition(spec("report"), "en").audience is None


def test_section_and_recommendation_defaults():
    s = Section("first", "chapter", "First", "First", Path("c.md"), "chapters/c.md", "Body", 5)
    assert (s.audience, s.sha256) == (None, "")
    assert rec("US-1").sha256 == ""
    assert spec("report").line == 0


def test_plan_and_edition_result_defaults_are_not_shared():
    a = graph.Plan((), (), (), ())
    b = graph.Plan((), (), (), ())
    a.keys["x"] = "k"
    assert b.keys == {}
    r = make.EditionResult(edition(spec("report"), "en"), (), 3, 0.5)
    assert (r.anchors, r.warnings, r.reused) == ({}, (), False)
    assert hash(a) == hash(b)  # keys and report_pages are left out of the hash
