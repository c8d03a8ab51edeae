r"""A student copy once solved: what ``make student-notebooks`` writes for a notebook (its ``solution`` cells
left out, ``scripts/strip_solutions.py``), with each exercise cell's scaffold replaced by the published
solution, as a student who solved every exercise would have it.

Running it is a separate test from running the notebook: in 03, 04 and 07 the notebook's later cells use
the notebook's own run of an answer, a copy's use the student's checked functions. Where it runs:
``test_sliders_kernel.py`` runs the solved copy of every notebook with sliders (the sliders are moved in
that same run), ``test_student_notebooks.py`` the other notebooks' copies.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.lessons import mutants

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from strip_solutions import strip  # noqa: E402


def tags(cell) -> list:
    return cell.get("metadata", {}).get("tags", [])


def solved(notebook: dict, exercises: list) -> dict:
    """``notebook`` (a student copy) with each exercise cell's scaffold replaced by its published solution."""
    by_id = {e.key.split(":")[1]: e for e in exercises}
    cells = []
    for cell in notebook["cells"]:
        if "exercise" in tags(cell) and cell["id"] in by_id:
            exercise = by_id[cell["id"]]
            imports = [line for line in "".join(cell["source"]).splitlines() if line.startswith(("from ", "import "))]
            source = "\n".join(imports + [exercise.solution.rstrip(), "", exercise.call])
            cell = {**cell, "source": source.splitlines(True), "outputs": []}
        cells.append(cell)
    return {**notebook, "cells": cells}


def solved_copy(notebook: Path, folder: Path) -> Path:
    """Write the solved student copy of ``notebook`` into ``folder`` (same file name) and return its path."""
    copy, _ = strip(json.loads(notebook.read_text(encoding="utf-8")))
    path = folder / notebook.name
    path.write_text(json.dumps(solved(copy, mutants.exercises([notebook])), indent=1, ensure_ascii=False),
                    encoding="utf-8")
    return path


def unsolved_checks(cells: list, name: str) -> tuple[int, list[str]]:
    """How many exercise cells an executed solved copy has, and those whose check did not end in ✓
    ("name cell-id: what it showed")."""
    found, count = [], 0
    for cell in cells:
        if "exercise" in tags(cell):
            count += 1
            shown = ["".join(o.get("data", {}).get("text/plain", "")) for o in cell.get("outputs", [])
                     if o.get("output_type") == "execute_result"]
            if not (shown and shown[-1].startswith("✓")):
                found.append(f"{name} {cell.get('id')}: the published solution's check shows {shown}")
    return count, found
