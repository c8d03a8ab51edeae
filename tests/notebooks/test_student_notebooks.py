r"""The student copies that ``make student-notebooks`` writes (``scripts/strip_solutions.py``, issue 24).

- ``make student-notebooks`` exists and writes a copy of every notebook into the folder it is given.
- In a copy, no cell reveals an exercise's answer: no code cell, and no fenced python block of a markdown
  cell, holds a piece of a published solution (a statement of its functions, or an expression they return,
  of at least ``MIN_NODES`` AST nodes), compared as syntax trees, so that spacing and comments do not hide it.
- Every exercise cell of a copy, run as it is, says "Not solved yet" (and its stored output says so too).
- Once each exercise cell holds its solution, the copy runs top to bottom and every check says ✓
  (``slow``: it executes the copy in a kernel). The copies of the notebooks with sliders run in
  ``test_sliders_kernel.py`` instead, which moves their sliders in the same run (``student_copy.py``).
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from notebook_sliders import notebooks_with_sliders
from student_copy import solved, tags, unsolved_checks

from tests.lessons import mutants
from tests.lessons.test_exercises import run_cell

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
MIN_NODES = 10       # smaller pieces (``mu, alpha = mu_alpha(z1)``) are the course's vocabulary, not an answer
FENCE = "```python\n"


@pytest.fixture(scope="module")
def copies(tmp_path_factory) -> Path:
    """The student copies, written by the Makefile's target (its dependency on `setup` not remade here)."""
    out = tmp_path_factory.mktemp("student")
    bin_dir = Path(sys.executable).parent
    subprocess.run(["make", "--no-print-directory", "-o", "setup", "student-notebooks", f"STUDENT_DIR={out}",
                    f"BIN={bin_dir}"], cwd=ROOT, check=True, capture_output=True, text=True)
    return out


def test_make_student_notebooks_writes_every_notebook(copies):
    assert sorted(p.name for p in copies.glob("*.ipynb")) == [p.name for p in NOTEBOOKS]


def _pieces(source: str) -> dict:
    """{ast dump: source text} of the answer's pieces in ``source``: every statement of the functions it defines
    (docstrings left out; nested statements too) and every returned expression (each item of a returned tuple),
    of at least MIN_NODES nodes."""
    tree = ast.parse(source)
    found = {}
    for fn in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]:
        docstring = fn.body and isinstance(fn.body[0], ast.Expr) and isinstance(fn.body[0].value, ast.Constant)
        for top in fn.body[1:] if docstring else fn.body:
            for node in ast.walk(top):
                pieces = [node] if isinstance(node, ast.stmt) and not isinstance(node, ast.Return) else []
                if isinstance(node, ast.Return) and node.value is not None:
                    pieces = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
                for piece in pieces:
                    if sum(1 for _ in ast.walk(piece)) >= MIN_NODES:
                        found[ast.dump(piece)] = ast.unparse(piece)
    return found


def _code_of(cell) -> list[str]:
    text = "".join(cell["source"])
    if cell["cell_type"] == "code":
        return [text]
    return [block.split("```", 1)[0] for block in text.split(FENCE)[1:]]


def revealing(notebook: dict, answers: dict) -> list[str]:
    """Each cell of ``notebook`` that holds a piece of ``answers`` (from ``_pieces``): "cell id: the piece"."""
    found = []
    for cell in notebook["cells"]:
        if "exercise" in tags(cell):
            continue
        for code in _code_of(cell):
            try:
                tree = ast.parse(code)
            except SyntaxError:
                continue
            hits = {ast.dump(n) for n in ast.walk(tree)} & answers.keys()
            if hits:
                longest = max((answers[h] for h in hits), key=len)
                found.append(f"cell {cell.get('id')}: {longest[:120]}")
    return found


ANSWERS = {}
for _exercise in mutants.exercises():
    ANSWERS.setdefault(_exercise.key.split(":")[0], {}).update(_pieces(_exercise.solution))


def test_the_detector_finds_a_solution_pasted_into_a_cell():
    exercise = mutants.exercises()[0]
    notebook = {"cells": [{"id": "x", "cell_type": "code", "source": [exercise.solution.replace("    ", "  ")],
                           "metadata": {}}]}
    found = revealing(notebook, _pieces(exercise.solution))
    assert len(found) == 1 and found[0].startswith("cell x: ")


@pytest.mark.parametrize("name", [p.name for p in NOTEBOOKS])
def test_no_cell_of_a_student_copy_reveals_an_answer(copies, name):
    notebook = json.loads((copies / name).read_text(encoding="utf-8"))
    answers = {}
    for pieces in ANSWERS.values():  # any notebook's answers: a later notebook must not give away an earlier one
        answers.update(pieces)
    assert revealing(notebook, answers) == []


@pytest.mark.parametrize("name", [p.name for p in NOTEBOOKS])
def test_every_exercise_cell_of_a_student_copy_says_not_solved(copies, name):
    notebook = json.loads((copies / name).read_text(encoding="utf-8"))
    cells = [c for c in notebook["cells"] if "exercise" in tags(c)]
    assert cells or name.startswith("08"), f"{name}: no exercise cell in the copy"
    for cell in cells:
        source = "".join(cell["source"])
        with mutants.global_state_kept():
            result = run_cell(source)
        assert str(result).startswith("Not solved yet"), f"{name} {cell['id']}: {result}"
        stored = ["".join(o["data"]["text/plain"]) for o in cell.get("outputs", []) if o.get("output_type") == "execute_result"]
        assert stored and all(s.startswith("Not solved yet") for s in stored), f"{name} {cell['id']}: stored {stored}"


def test_a_check_without_a_tick_is_named():
    cells = [{"id": "a", "cell_type": "code", "metadata": {"tags": ["exercise"]},
              "outputs": [{"output_type": "execute_result", "data": {"text/plain": "✓ all good"}}]},
             {"id": "b", "cell_type": "code", "metadata": {"tags": ["exercise"]},
              "outputs": [{"output_type": "execute_result", "data": {"text/plain": "✗ the log-det's sign"}}]},
             {"id": "c", "cell_type": "code", "metadata": {"tags": ["exercise"]}, "outputs": []},
             {"id": "d", "cell_type": "code", "metadata": {}, "outputs": []}]
    count, found = unsolved_checks(cells, "nb")
    assert count == 3 and [f.split(":")[0] for f in found] == ["nb b", "nb c"], found


@pytest.mark.slow
@pytest.mark.parametrize("name", [p.name for p in NOTEBOOKS if p not in notebooks_with_sliders()])
def test_a_student_copy_runs_top_to_bottom_once_solved(copies, name, tmp_path):
    """The notebooks with sliders: their solved copies run in test_sliders_kernel.py, sliders moved in the same run."""
    exercises = mutants.exercises([ROOT / "notebooks" / name])
    if not exercises:  # nothing to solve: the copy is the notebook itself, which nbval runs
        assert json.loads((copies / name).read_text(encoding="utf-8"))["cells"] == \
            json.loads((ROOT / "notebooks" / name).read_text(encoding="utf-8"))["cells"], name
        return
    notebook = solved(json.loads((copies / name).read_text(encoding="utf-8")), exercises)
    path = tmp_path / name
    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "run_notebooks.py"), "--timeout", "600", str(path)],
                         cwd=ROOT, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert unsolved_checks(json.loads(path.read_text(encoding="utf-8"))["cells"], name) == (len(exercises), [])
    shutil.rmtree(tmp_path, ignore_errors=True)
