"""One home for each notebook: ``flowlib/lessons/nNN_<stem>/`` holds its code, and nothing else reaches in.

A lesson imports the library (``flowlib``'s public names) and the lesson machinery (``flowlib.lessons.demo``,
``.view``, ``.grading``, ``.course``), never another lesson. A notebook imports its own lesson and the
library, never another notebook's lesson. What two lessons share belongs in the library or the machinery.
"""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
LESSONS = ROOT / "flowlib" / "lessons"


def lesson_names() -> list[str]:
    return sorted(path.name for path in LESSONS.iterdir() if (path / "__init__.py").is_file())


def imported_modules(tree: ast.AST, package: str = "") -> set[str]:
    """The absolute names of the modules ``tree`` imports; relative imports resolve against ``package`` (the
    importing module's package, e.g. ``flowlib.lessons.n03_nice``). ``from P import name`` counts ``P`` and
    ``P.name`` (``name`` may be a module)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found.add(module)
            found |= {f"{module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


def lessons_in(modules: set[str]) -> set[str]:
    """The lessons (``nNN_<stem>``) that these module names belong to."""
    return {name.split(".")[2] for name in modules
            if name.startswith("flowlib.lessons.") and name.split(".")[2].startswith("n") and name.split(".")[2][1:3].isdigit()}


def notebook_source(path: Path) -> str:
    """The notebook's code cells as one Python module (IPython magics and shell lines left out)."""
    nb = nbformat.read(path, as_version=4)
    lines = [line for cell in nb.cells if cell.cell_type == "code" for line in cell.source.splitlines()
             if not line.lstrip().startswith(("%", "!"))]
    return "\n".join(lines)


def test_each_notebook_has_one_lesson_named_after_it():
    notebooks = {f"n{path.stem}" for path in (ROOT / "notebooks").glob("[0-9][0-9]*_*.ipynb")}
    assert notebooks == set(lesson_names()), "each notebooks/NN_<stem>.ipynb has flowlib/lessons/nNN_<stem>/, and back"


def test_no_lesson_imports_another():
    offenders = {}
    for lesson in lesson_names():
        for path in sorted((LESSONS / lesson).glob("*.py")):
            package = f"flowlib.lessons.{lesson}"
            others = lessons_in(imported_modules(ast.parse(path.read_text()), package)) - {lesson}
            if others:
                offenders[f"{lesson}/{path.name}"] = sorted(others)
    assert offenders == {}, (f"lessons importing another lesson: {offenders}; move what they share into the library "
                             "or the lesson machinery (flowlib/lessons/demo.py, view.py, grading.py)")


def test_each_notebook_imports_only_its_own_lesson():
    offenders = {}
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]*_*.ipynb")):
        imported = lessons_in(imported_modules(ast.parse(notebook_source(path))))
        if imported != {f"n{path.stem}"}:
            offenders[path.name] = sorted(imported)
    assert offenders == {}, f"notebooks and the lessons they import (each should import only its own): {offenders}"


def test_the_import_finder_sees_each_kind_of_import():
    """The checks above could pass by finding nothing: each spelling of an import is found, and resolved."""
    tree = ast.parse("from . import views\nfrom ..n05_maf.check import X\nfrom ..view import View\nfrom ... import fit\n")
    found = imported_modules(tree, "flowlib.lessons.n06_iaf")
    assert {"flowlib.lessons.n06_iaf.views", "flowlib.lessons.n05_maf.check", "flowlib.lessons.view", "flowlib.fit"} <= found
    assert lessons_in(found) == {"n06_iaf", "n05_maf"}
    tree = ast.parse("import flowlib.lessons.n06_iaf\nfrom flowlib.lessons.n04_realnvp import A\n"
                     "from flowlib.lessons import n02_jacobians\n")
    assert lessons_in(imported_modules(tree)) == {"n06_iaf", "n04_realnvp", "n02_jacobians"}
    assert lessons_in(imported_modules(ast.parse("from flowlib.lessons.grading import call\nimport flowlib\n"))) == set()
