r"""The exercises of notebooks 05-07 and their checkers (``flowlib.check.maf``, ``.iaf``, ``.distillation``).

The same rules as ``tests/test_exercises.py`` (notebooks 01-04), for these notebooks: every exercise cell (a
code cell tagged ``exercise``) is followed by its solution (a markdown cell tagged ``solution``, one fenced
python block); the scaffold as committed is "not solved yet"; the very solution students read passes its
checker; each notebook has at least three exercises; every mistake a checker names has a wrong answer
(``tests/wrong_answers_05_07.py``) that gets exactly that mistake named; a checker that passes everything
fails these tests. About 10 s on the 2-core machine.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import linecache
import math
import re
from pathlib import Path

import pytest
import torch

from flowlib import check
from flowlib.check import _grading, distillation, iaf, maf

_spec = importlib.util.spec_from_file_location("wrong_answers_05_07", Path(__file__).with_name("wrong_answers_05_07.py"))
_wrong = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_wrong)
WRONG = _wrong.WRONG
ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = [ROOT / "notebooks" / name for name in ("05_maf.ipynb", "06_iaf.ipynb", "07_best_of_both_worlds.ipynb")]
MODULES = {"05_maf": maf, "06_iaf": iaf, "07_best_of_both_worlds": distillation}
SOLUTION_BLOCK = re.compile(r"<details><summary>Solution</summary>\s*```python\n(.*?)```\s*</details>", re.S)


def _tags(cell) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def _exercises():
    found = []
    for path in NOTEBOOKS:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for i, cell in enumerate(cells):
            if "exercise" in _tags(cell):
                after = cells[i + 1] if i + 1 < len(cells) else {}
                assert cell["cell_type"] == "code" and "solution" in _tags(after), f"{path.name}: {cell['id']}: no solution"
                blocks = SOLUTION_BLOCK.findall("".join(after["source"]))
                assert len(blocks) == 1, f"{path.name}: the solution cell {after['id']} must hold one fenced python block"
                found.append((f"{path.stem}:{cell['id']}", "".join(cell["source"]), blocks[0], cell))
    return found


EXERCISES = _exercises()
CASES = [(checker, mistake, source) for checker, answers in WRONG.items() for mistake, source in answers]


def run_cell(source: str, namespace: dict | None = None, name: str = "<exercise>"):
    """Run ``source`` like a notebook cell (registered with linecache, as IPython does); return its last line's value."""
    namespace = {"torch": torch, "math": math, "check": check} if namespace is None else namespace
    tree = ast.parse(source)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    linecache.cache[name] = (len(source), None, source.splitlines(True), name)
    exec(compile(tree, name, "exec"), namespace)
    return eval(compile(ast.Expression(last.value), name, "eval"), namespace) if last else None


@pytest.mark.parametrize("scaffold, solution, cell", [case[1:] for case in EXERCISES], ids=[case[0] for case in EXERCISES])
def test_scaffold_is_not_solved_and_the_published_solution_passes(scaffold, solution, cell):
    namespace = {"torch": torch, "math": math, "check": check}
    result = run_cell(scaffold, namespace, "<scaffold>")
    assert not result.passed and result.mistake == _grading.NOT_SOLVED and result.message.startswith("Not solved yet: ")
    stored = [o for o in cell.get("outputs", []) if o.get("output_type") == "execute_result"]
    assert [("".join(o["data"]["text/plain"])) for o in stored] == [result.message], "the committed cell shows 'not solved yet'"
    check_call = scaffold.strip().splitlines()[-1]
    result = run_cell(solution + "\n" + check_call, namespace, "<solution>")
    assert result.passed and result.mistake is None and result.message.startswith("✓ "), result.message


def test_each_notebook_has_three_exercises_and_every_checker_one():
    per_notebook = {path.stem: sum(case[0].startswith(path.stem + ":") for case in EXERCISES) for path in NOTEBOOKS}
    assert all(count >= 3 for count in per_notebook.values()), per_notebook
    used = {re.match(r"check\.(\w+)\(", case[1].strip().splitlines()[-1]).group(1) for case in EXERCISES}
    mine = {name for module in MODULES.values() for name in module.__all__}
    assert mine <= used and mine <= set(check.__all__), sorted(mine - used)


@pytest.mark.parametrize("checker", sorted({name for module in MODULES.values() for name in module.__all__}))
def test_every_named_mistake_has_a_wrong_answer(checker):
    named = set(getattr(check, checker).mistakes)
    assert named and named <= {mistake for mistake, _ in WRONG.get(checker, [])}, sorted(named)


@pytest.mark.parametrize("checker, mistake, source", CASES, ids=[f"{c}-{m}" for c, m, _ in CASES])
def test_a_wrong_answer_gets_its_mistake_named(checker, mistake, source):
    assert f"check.{checker}(" in source.strip().splitlines()[-1]
    result = run_cell(source)
    assert not result.passed and result.mistake == mistake, result.message
    assert result.message.startswith("✗ ") and "Traceback" not in result.message and "\n" not in result.message


def test_a_checker_that_passes_everything_fails_these_tests(monkeypatch):
    for checker in WRONG:
        monkeypatch.setattr(check, checker, lambda *args, **kwargs: _grading.Result(True, "✓ everything"))
    for _, mistake, source in CASES:
        assert run_cell(source).mistake != mistake
    for _, scaffold, _, _ in EXERCISES:
        assert run_cell(scaffold).mistake != _grading.NOT_SOLVED


def test_an_error_in_the_students_loop_names_its_line():
    def maf_forward(z, mu_alpha):
        x = torch.zeros_like(z)
        mu, alpha = mu_alpha(x[:, :1])  # a (B, 1) input where (B, D) is expected
        return x, alpha
    result = check.maf_forward(maf_forward)
    assert result.mistake == _grading.RAISED and "line 3 of maf_forward" in result.message and "(B, 4)" in result.message
