"""One home for each notebook: ``flowlib/lessons/nNN_<stem>/`` holds its code, and nothing else reaches in.

A lesson imports the library (``flowlib``'s public names) and the lesson machinery (``flowlib.lessons.demo``,
``.view``, ``.grading``, ``.course``), never another lesson and never a private name (``_name``, or anything
of a private module such as ``flowlib._validate``). A notebook imports its own lesson and the library, never
another notebook's lesson. What two lessons share belongs in the library or the machinery; a private helper
that a lesson needs is a sign that it belongs in the library's public names.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
LESSONS = ROOT / "flowlib" / "lessons"


def lesson_names(root: Path = LESSONS) -> list[str]:
    return sorted(path.name for path in root.iterdir() if (path / "__init__.py").is_file())


def imports(tree: ast.AST, package: str = "") -> list[tuple[str, str | None]]:
    """``(module, name)`` for every import in ``tree``, the module made absolute: relative imports resolve
    against ``package`` (the importing module's package, e.g. ``flowlib.lessons.n03_nice``). ``import M``
    gives ``(M, None)``; ``from P import name`` gives ``(P, name)`` (``name`` may be a module of P)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found += [(module, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(alias.name, None) for alias in node.names]
    return found


def lessons_in(found: list[tuple[str, str | None]]) -> set[str]:
    """The lessons (``nNN_<stem>``) that these imports reach into."""
    lessons = set()
    for module, name in found:
        parts = (f"{module}.{name}" if name else module).split(".")
        if parts[:2] == ["flowlib", "lessons"] and len(parts) > 2 and parts[2][:1] == "n" and parts[2][1:3].isdigit():
            lessons.add(parts[2])
    return lessons


def private_names(found: list[tuple[str, str | None]]) -> set[str]:
    """The private names among these imports: a ``_name`` imported, or any name of a ``_module``."""
    return {f"{module}.{name}" if name else module for module, name in found
            if module != "__future__" and any(part.startswith("_") for part in module.split(".") + [name or ""])}


def offenders(root: Path = LESSONS) -> dict[str, list[str]]:
    """``{file: [what it must not import]}`` over every module of ``root`` (``flowlib/lessons``): another
    lesson, or a private name. The machinery (demo, view, grading, course) may import no private name either."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        package = ".".join(["flowlib", "lessons", *relative.parts[:-1]])
        own = relative.parts[0] if len(relative.parts) > 1 else None
        names = imports(ast.parse(path.read_text(encoding="utf-8")), package)
        bad = sorted(lessons_in(names) - {own}) + sorted(private_names(names))
        if bad:
            found[relative.as_posix()] = bad
    return found


def notebook_source(path: Path) -> str:
    """The notebook's code cells as one Python module (IPython magics and shell lines left out)."""
    nb = nbformat.read(path, as_version=4)
    lines = [line for cell in nb.cells if cell.cell_type == "code" for line in cell.source.splitlines()
             if not line.lstrip().startswith(("%", "!"))]
    return "\n".join(lines)


def test_each_notebook_has_one_lesson_named_after_it():
    notebooks = {f"n{path.stem}" for path in (ROOT / "notebooks").glob("[0-9][0-9]*_*.ipynb")}
    assert notebooks == set(lesson_names()), "each notebooks/NN_<stem>.ipynb has flowlib/lessons/nNN_<stem>/, and back"


def test_no_lesson_imports_another_lesson_or_a_private_name():
    assert offenders() == {}, ("lesson modules importing another lesson or a private name: move what lessons share "
                               "into the library's public names or the machinery (flowlib/lessons/demo.py, view.py, "
                               "grading.py)")


def test_each_notebook_imports_only_its_own_lesson_and_no_private_name():
    found = {}
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]*_*.ipynb")):
        names = imports(ast.parse(notebook_source(path)))
        if lessons_in(names) != {f"n{path.stem}"} or private_names(names):
            found[path.name] = sorted(lessons_in(names)) + sorted(private_names(names))
    assert found == {}, f"notebooks and the lessons (or private names) they import; each should import only its own: {found}"


def test_the_import_finder_sees_each_kind_of_import():
    """The checks above could pass by finding nothing: each spelling of an import is found, and resolved."""
    tree = ast.parse("from . import views\nfrom ..n05_maf.check import X\nfrom ..view import View\nfrom ... import fit\n")
    found = imports(tree, "flowlib.lessons.n06_iaf")
    assert {("flowlib.lessons.n06_iaf", "views"), ("flowlib.lessons.n05_maf.check", "X"), ("flowlib", "fit")} <= set(found)
    assert lessons_in(found) == {"n06_iaf", "n05_maf"} and private_names(found) == set()
    tree = ast.parse("import flowlib.lessons.n06_iaf\nfrom flowlib.lessons.n04_realnvp import A\n"
                     "from flowlib.lessons import n02_jacobians\n")
    assert lessons_in(imports(tree)) == {"n06_iaf", "n04_realnvp", "n02_jacobians"}
    assert lessons_in(imports(ast.parse("from flowlib.lessons.grading import call\nimport flowlib\n"))) == set()
    tree = ast.parse("from ...train import _adam\nfrom ..._validate import check_points\nimport flowlib._threads\n"
                     "from __future__ import annotations\n")
    assert private_names(imports(tree, "flowlib.lessons.n08_playground")) == {
        "flowlib.train._adam", "flowlib._validate.check_points", "flowlib._threads"}


def test_the_layout_check_fails_on_a_planted_cross_lesson_or_private_import(tmp_path):
    """A copy of the lessons with one cross-lesson import and one private import planted: both are named."""
    root = tmp_path / "lessons"
    shutil.copytree(LESSONS, root, ignore=shutil.ignore_patterns("__pycache__"))
    assert offenders(root) == {}
    views = root / "n06_iaf" / "views.py"
    views.write_text(views.read_text(encoding="utf-8") + "\nfrom ..n05_maf.views import TRAINING  # planted\n",
                     encoding="utf-8")
    check = root / "n03_nice" / "check.py"
    check.write_text(check.read_text(encoding="utf-8") + "\nfrom ...train import _adam  # planted\n", encoding="utf-8")
    assert offenders(root) == {"n06_iaf/views.py": ["n05_maf"], "n03_nice/check.py": ["flowlib.train._adam"]}
