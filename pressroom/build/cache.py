"""Build keys and the output cache: an edition whose inputs have not changed is not rendered again."""

from __future__ import annotations

import ast
import functools
import hashlib
import json
from dataclasses import asdict
from importlib import metadata
from pathlib import Path

from .. import __version__
from ..files import atomic_write
from ..model import Edition, Manuscript

# Everything a rendered edition depends on besides its own sources.
TOOLS = ("weasyprint", "pypdf", "markdown", "jinja2", "pydyf", "tinycss2", "fonttools",
         "fontpkg-source-serif-4", "fontpkg-source-sans-3", "babel", "uharfbuzz")


@functools.lru_cache(maxsize=1)
def _versions() -> tuple[str, ...]:
    out = [f"pressroom {__version__}"]
    for name in TOOLS:
        try:
            out.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            out.append(f"{name} -")
    return tuple(out)


def _tree_hash(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts:
            h.update(p.relative_to(folder).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


RENDERING_ENTRY_POINTS = ("pressroom.build.pipeline",)
"""Where rendering starts: every module these import, directly or not, can change an output."""


PACKAGE = Path(__file__).resolve().parent.parent
"""The pressroom package folder."""


def rendering_modules(package: Path = PACKAGE) -> tuple[Path, ...]:
    """The pressroom modules that can shape an output: the import closure of the rendering entry
    points, read from the code itself (every `import`, at the top of a module or inside a function),
    so that a module added to the renderer counts without a list to keep."""
    seen: dict[str, Path] = {}
    todo = list(RENDERING_ENTRY_POINTS)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        path = _module_path(package, name)
        if path is None:
            continue
        seen[name] = path
        todo += _imported(name, path)
    return tuple(seen[n] for n in sorted(seen))


def _module_path(package: Path, name: str) -> Path | None:
    parts = name.split(".")[1:]
    if not parts:
        return package / "__init__.py"
    file = package.joinpath(*parts).with_suffix(".py")
    if file.is_file():
        return file
    init = package.joinpath(*parts, "__init__.py")
    return init if init.is_file() else None


def _imported(name: str, path: Path) -> list[str]:
    """The pressroom modules a module imports (absolute names)."""
    tree = ast.parse(path.read_bytes(), str(path))
    is_package = path.name == "__init__.py"
    here = name.split(".") if is_package else name.split(".")[:-1]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names if a.name.split(".")[0] == "pressroom"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[:len(here) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.split(".")[0] != "pressroom":
                continue
            out.append(module)
            out += [f"{module}.{a.name}" for a in node.names]  # `from . import config` names a module
    return out


@functools.lru_cache(maxsize=4)
def _code_hash(package: Path = PACKAGE) -> str:
    """The code that shapes an output: a change to the renderer is a change to every output.
    (The command line, the checker or the distribution code do not count.)"""
    h = hashlib.sha256()
    for path in rendering_modules(package):
        h.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def edition_key(m: Manuscript, edition: Edition, report_pages: dict | None = None) -> str:
    """A hash of everything the edition's output depends on.

    Briefs include the report page numbers they cite, so a change elsewhere in the report that
    moves one of their recommendations re-renders them, and nothing else does."""
    cited = {r.id: (report_pages or {}).get(r.id) for r in edition.recommendations} \
        if edition.spec.kind == "brief" else {}
    payload = {
        **_rendering_inputs(m),
        "spec": asdict(edition.spec),
        "language": edition.language,
        "publication": repr(edition.publication),
        "sections": [(s.rel, s.sha256) for s in edition.sections],
        "recommendations": [(r.id, r.sha256) for r in edition.recommendations],
        "cited_pages": cited,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _rendering_inputs(m: Manuscript) -> dict:
    """What every output depends on besides its own sources: versions, code, styles, images."""
    return {"versions": _versions(), "code": _code_hash(), "styles": _tree_hash(m.styles),
            "images": _images_hash(m.root)}


def _images_hash(root: Path) -> str:
    figures = root / "figures"
    return _tree_hash(figures) if figures.is_dir() else ""


class OutputCache:
    """Rendered editions stored by key under `<out>/.cache/editions/`."""

    def __init__(self, out: Path):
        self.root = out / ".cache" / "editions"

    def load(self, key: str):
        """(meta, {relative path: bytes}) for a key, or None."""
        folder = self.root / key
        meta_path = folder / "result.json"
        if not meta_path.is_file():
            return None
        try:
            meta = json.loads(meta_path.read_text())
            files = {rel: (folder / "files" / rel).read_bytes() for rel in meta["files"]}
            digests = meta["digests"]
            intact = all(hashlib.sha256(data).hexdigest() == digests[rel] for rel, data in files.items())
        except (OSError, ValueError, KeyError, TypeError):  # damaged or not an entry: a miss
            return None
        return (meta, files) if intact else None

    def store(self, key: str, meta: dict, files: dict[str, bytes]) -> None:
        """Keep a rendered edition; a failure to cache is not a failure to build."""
        folder = self.root / key
        try:
            for rel, data in files.items():
                atomic_write(folder / "files" / rel, data)
            digests = {rel: hashlib.sha256(data).hexdigest() for rel, data in files.items()}
            atomic_write(folder / "result.json", json.dumps({**meta, "files": list(files), "digests": digests}).encode())
        except OSError:
            pass


def parts_common_key(m: Manuscript) -> str:
    """What every part of the report depends on besides its HTML: versions, code, styles, images."""
    payload = {**_rendering_inputs(m), "parts": 1}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


class PartCache:
    """Laid-out parts of the report under `<out>/.cache/parts/`: the PDF each was laid out in
    (`units/<sha256>.pdf`, shared by the parts laid out together) and where in it (`<key>.json`)."""

    def __init__(self, out: Path):
        self.root = out / ".cache" / "parts"

    def load(self, key: str):
        """(LaidPart, PDF bytes) for a part key, or None."""
        from ..pdf.parts import LaidPart
        try:
            part = LaidPart.from_meta(json.loads((self.root / f"{key}.json").read_text()))
            data = (self.root / "units" / f"{part.unit}.pdf").read_bytes()
        except (OSError, ValueError, KeyError, TypeError, AttributeError):  # damaged or not an entry: a miss
            return None
        if hashlib.sha256(data).hexdigest() != part.unit:
            return None
        return part, data

    def store(self, unit) -> None:
        """Keep a laid-out unit and its parts; a failure to cache is not a failure to build."""
        try:
            atomic_write(self.root / "units" / f"{unit.parts[0].unit}.pdf", unit.pdf)
            for part in unit.parts:
                atomic_write(self.root / f"{part.key}.json", json.dumps(part.meta()).encode())
        except OSError:
            pass
