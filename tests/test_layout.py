"""One home for each thing: each notebook's views live in its own demo module, and nothing else reaches in.

``flowlib/demos/<module>.py`` holds one notebook's views. A demo module imports flowlib's core and the
demo machinery (``flowlib.demos``, ``flowlib.demos.view``), never another notebook's demo module; a
notebook imports its own demo module and flowlib's core, never another notebook's. What two demos share
belongs in the core, where both can import it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
DEMOS = ROOT / "flowlib" / "demos"
MACHINERY = {"", "view"}  # flowlib.demos itself (Demo) and its View: not a notebook's module
OWN_DEMO = {"01": "change_of_variables", "02": "jacobians", "03": "nice", "04": "realnvp", "05": "maf",
            "06": "iaf", "07": "distillation", "08": "playground"}


def demo_modules_imported(tree: ast.AST, inside_demos: bool) -> set[str]:
    """The demo modules (by name, '' for flowlib.demos itself) that ``tree`` imports; ``inside_demos``: the
    code is a module of flowlib.demos, whose relative imports (``from .maf import ...``) resolve there."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and inside_demos:
                name = node.module or ""
                found |= {alias.name for alias in node.names} if not name else {name.split(".")[0]}
            elif node.level == 0 and node.module and node.module.startswith("flowlib.demos"):
                rest = node.module[len("flowlib.demos"):].lstrip(".")
                found |= {rest.split(".")[0]} if rest else {alias.name for alias in node.names}
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("flowlib.demos."):
                    found.add(alias.name[len("flowlib.demos."):].split(".")[0])
    module_names = {path.stem for path in DEMOS.glob("*.py")} - {"__init__"}
    return {name for name in found if name in module_names or name == ""}


def notebook_source(path: Path) -> str:
    """The notebook's code cells as one Python module (IPython magics and shell lines left out)."""
    nb = nbformat.read(path, as_version=4)
    lines = [line for cell in nb.cells if cell.cell_type == "code" for line in cell.source.splitlines()
             if not line.lstrip().startswith(("%", "!"))]
    return "\n".join(lines)


def test_no_demo_module_imports_another():
    offenders = {}
    for path in sorted(DEMOS.glob("*.py")):
        others = demo_modules_imported(ast.parse(path.read_text()), inside_demos=True) - MACHINERY - {path.stem}
        if others:
            offenders[path.name] = sorted(others)
    assert offenders == {}, (f"demo modules importing another notebook's demo module: {offenders}; "
                             "move what they share into flowlib's core")


def test_each_notebook_imports_only_its_own_demo_module():
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert [path.name[:2] for path in notebooks] == sorted(OWN_DEMO), "a notebook without its demo module here"
    offenders = {}
    for path in notebooks:
        imported = demo_modules_imported(ast.parse(notebook_source(path)), inside_demos=False) - MACHINERY
        if imported != {OWN_DEMO[path.name[:2]]}:
            offenders[path.name] = sorted(imported)
    assert offenders == {}, f"notebooks and the demo modules they import (each should import only its own): {offenders}"


def test_the_import_finder_sees_each_kind_of_import():
    """The checks above could pass by finding nothing: each spelling of an import is found."""
    tree = ast.parse("from . import Demo, nice\nfrom .maf import X\nfrom .view import View\n")
    assert demo_modules_imported(tree, inside_demos=True) == {"nice", "maf", "view"}
    tree = ast.parse("import flowlib.demos.iaf\nfrom flowlib.demos.realnvp import A\nfrom flowlib.demos import jacobians\n")
    assert demo_modules_imported(tree, inside_demos=False) == {"iaf", "realnvp", "jacobians"}
