"""The package's shape: stages import only downwards, no import circles, modules of a readable size,
and no other library's private attributes outside pressroom.pdf.patches."""

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "pressroom"
STAGES = ["errors", "files", "model", "load", "render", "pdf", "build", "distribute", "cli"]
"""From the lowest to the highest: a module may import its own stage and those below it."""


def modules() -> dict[str, Path]:
    return {".".join(("pressroom",) + p.relative_to(PACKAGE).with_suffix("").parts).removesuffix(".__init__"): p
            for p in sorted(PACKAGE.rglob("*.py"))}


def imports(name: str, path: Path) -> set[str]:
    """pressroom modules imported by a module, anywhere in it."""
    here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    known = modules()
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = here[:len(here) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:
                full = f"{module}.{alias.name}"
                out.add(full if full in known else module)
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("pressroom")}
    return {m for m in out if m.startswith("pressroom.") and m in known}


def stage(name: str) -> int:
    return STAGES.index(name.split(".")[1])


def test_stages_import_only_downwards():
    wrong = [f"{name} imports {other}" for name, path in modules().items() if name.count(".") >= 1
             for other in sorted(imports(name, path)) if stage(other) > stage(name)]
    assert wrong == []


def test_no_import_circles():
    graph = {name: imports(name, path) - {name} for name, path in modules().items()}
    # pressroom.x's __init__ importing pressroom.x.y is a package's face, not a circle
    graph = {n: {m for m in deps if not m.startswith(n + ".")} for n, deps in graph.items()}
    circles = []
    state: dict[str, int] = {}

    def visit(n, stack):
        state[n] = 1
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                circles.append(stack[stack.index(m):] + [m])
            elif m not in state:
                visit(m, stack + [m])
        state[n] = 2

    for n in sorted(graph):
        if n not in state:
            visit(n, [n])
    assert circles == []


def test_modules_are_of_a_readable_size():
    long = {name: len(path.read_text().splitlines()) for name, path in modules().items()}
    assert {n: c for n, c in long.items() if c > 520} == {}


def test_private_attributes_of_other_libraries_only_in_patches():
    """`weasyprint.x._y`, `pydyf._y`, `pypdf..._y` and `# noqa: SLF001` belong in pressroom.pdf.patches,
    which states each change to a library's internals and tests that the library still has them."""
    found = []
    for name, path in modules().items():
        if name == "pressroom.pdf.patches":
            continue
        for i, line in enumerate(path.read_text().splitlines(), 1):
            if "SLF001" in line:
                found.append(f"{path.relative_to(PACKAGE)}:{i}: {line.strip()}")
    assert found == []


def test_the_checker_can_see_an_upward_import(tmp_path):
    """The tests above can fail: a load module importing the build is seen."""
    path = tmp_path / "x.py"
    path.write_text("from ..build import pipeline\nfrom .. import errors\n")
    assert imports("pressroom.load.x", path) == {"pressroom.build.pipeline", "pressroom.errors"}
    assert stage("pressroom.build.pipeline") > stage("pressroom.load.x")
    assert re.match(r"pressroom\.", "pressroom.load")
