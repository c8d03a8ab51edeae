r"""The notebooks' exercises and their checkers (``flowlib.check``).

- Every exercise cell (a code cell tagged ``exercise``) is followed by its solution (a markdown cell tagged
  ``solution`` with one fenced python block): the scaffold as committed is "not solved yet", and the very
  solution students read passes its checker.
- Every checker is used by some exercise, and every mistake a checker says it recognises has a
  deliberately wrong answer (its lesson's ``tests/lessons/nNN_<stem>/wrong_answers.py``) that gets exactly that mistake named.
- A checker that passes everything fails these tests; an exception in a student's code is reported
  with its line, without a traceback; ``scripts/strip_solutions.py`` writes notebooks without solutions.
"""

from __future__ import annotations

import ast
import importlib
import json
import linecache
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from flowlib import check
from flowlib.lessons import grading

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CHECKERS = [name for name in check.__all__ if name != "Result"]
SOLUTION_BLOCK = re.compile(r"<details><summary>Solution</summary>\s*```python\n(.*?)```\s*</details>", re.S)


def _tags(cell) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def exercise_cells():
    """(test id, scaffold source, solution source) of every exercise of every notebook."""
    found = []
    for path in NOTEBOOKS:
        cells = json.loads(path.read_text())["cells"]
        for i, cell in enumerate(cells):
            if "exercise" in _tags(cell):
                after = cells[i + 1] if i + 1 < len(cells) else {}
                assert cell["cell_type"] == "code" and "solution" in _tags(after), (
                    f"{path.name}: the exercise cell {cell['id']} must be a code cell followed by its solution "
                    "(a markdown cell tagged 'solution')")
                blocks = SOLUTION_BLOCK.findall("".join(after["source"]))
                assert len(blocks) == 1, f"{path.name}: the solution cell {after['id']} must hold one fenced python block"
                found.append((f"{path.stem}:{cell['id']}", "".join(cell["source"]), blocks[0], cell))
    return found


EXERCISES = exercise_cells()


def run_cell(source: str, namespace: dict | None = None, name: str = "<exercise>"):
    """Run ``source`` like a notebook cell and return the value of its last line (the check call).

    The source is registered with ``linecache`` as IPython does, so the checkers can read the student's code.
    """
    namespace = {"torch": torch, "math": math, "check": check} if namespace is None else namespace
    tree = ast.parse(source)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    linecache.cache[name] = (len(source), None, source.splitlines(True), name)
    exec(compile(tree, name, "exec"), namespace)
    return eval(compile(ast.Expression(last.value), name, "eval"), namespace) if last else None


def wrong_answers():
    """{checker: [(mistake, source), ...]} from every lesson's ``tests/lessons/nNN_<stem>/wrong_answers.py``."""
    merged: dict[str, list] = {}
    for path in sorted(Path(__file__).parent.glob("n*/wrong_answers.py")):
        module = importlib.import_module(f"{__package__}.{path.parent.name}.wrong_answers")
        for checker, answers in module.WRONG.items():
            merged.setdefault(checker, []).extend(answers)
    return merged


WRONG = wrong_answers()
WRONG_CASES = [(checker, mistake, source) for checker, answers in WRONG.items() for mistake, source in answers]


def assert_not_solved(result) -> None:
    assert isinstance(result, grading.Result), f"a checker must return a Result, got {type(result).__name__}"
    assert not result.passed and result.mistake == grading.NOT_SOLVED, result.message
    assert result.message.startswith("Not solved yet: ") and repr(result) == result.message


def assert_passed(result) -> None:
    assert isinstance(result, grading.Result), f"a checker must return a Result, got {type(result).__name__}"
    assert result.passed and result.mistake is None and result.message.startswith("✓ "), result.message


def assert_names(result, mistake: str) -> None:
    assert isinstance(result, grading.Result), f"a checker must return a Result, got {type(result).__name__}"
    assert not result.passed, f"a wrong answer ({mistake}) passed: {result.message}"
    assert result.mistake == mistake, f"expected the mistake {mistake!r}, got {result.mistake!r}: {result.message}"
    assert result.message.startswith("✗ ") and "Traceback" not in result.message


@pytest.mark.parametrize("scaffold, solution, cell", [case[1:] for case in EXERCISES], ids=[case[0] for case in EXERCISES])
def test_scaffold_is_not_solved_and_the_published_solution_passes(scaffold, solution, cell):
    namespace = {"torch": torch, "math": math, "check": check}
    result = run_cell(scaffold, namespace, "<scaffold>")
    assert_not_solved(result)
    stored = [o for o in cell.get("outputs", []) if o.get("output_type") == "execute_result"]
    assert ["".join(o["data"]["text/plain"]) for o in stored] == [result.message], "the committed cell shows 'not solved yet'"
    check_call = scaffold.strip().splitlines()[-1]
    assert check_call.startswith("check."), "an exercise cell ends with its check call"
    assert_passed(run_cell(solution + "\n" + check_call, namespace, "<solution>"))


def test_every_checker_has_an_exercise_and_every_notebook_at_least_three():
    """Three per lecture notebook; 04b, the second half of RealNVP (images), at least one (issue 25)."""
    used = {re.match(r"check\.(\w+)\(", source.strip().splitlines()[-1]).group(1) for _, source, _, _ in EXERCISES}
    assert set(CHECKERS) <= used, f"checkers without an exercise in any notebook: {sorted(set(CHECKERS) - used)}"
    per_notebook = {path.stem: sum(case[0].startswith(path.stem + ":") for case in EXERCISES) for path in NOTEBOOKS}
    lectures = {name: count for name, count in per_notebook.items() if name != "08_playground"}  # 08: no lecture slide
    least = {name: 1 if name == "04b_realnvp_on_images" else 3 for name in lectures}
    assert len(lectures) == 8 and all(count >= least[name] for name, count in lectures.items()), per_notebook


@pytest.mark.parametrize("checker", CHECKERS)
def test_every_named_mistake_has_a_wrong_answer(checker):
    named = set(getattr(check, checker).mistakes)
    covered = {mistake for mistake, _ in WRONG.get(checker, [])}
    assert named, f"check.{checker} names no mistake"
    assert named <= covered, f"check.{checker}: no wrong answer for {sorted(named - covered)}"


@pytest.mark.parametrize("checker, mistake, source", WRONG_CASES, ids=[f"{c}-{m}" for c, m, _ in WRONG_CASES])
def test_a_wrong_answer_gets_its_mistake_named(checker, mistake, source):
    assert f"check.{checker}(" in source.strip().splitlines()[-1]
    assert_names(run_cell(source), mistake)


def test_a_checker_that_passes_everything_fails_these_tests(monkeypatch):
    def pass_all(*args, **kwargs):
        return grading.Result(True, "✓ everything")
    for checker, answers in WRONG.items():
        monkeypatch.setattr(check, checker, pass_all)
        for mistake, source in answers:
            with pytest.raises(AssertionError):
                assert_names(run_cell(source), mistake)
    for _, scaffold, _, _ in EXERCISES:
        with pytest.raises(AssertionError):
            assert_not_solved(run_cell(scaffold))


def _raises_inside(z, m, d):
    z1, z2 = z[:, :d], z[:, d:]
    shift = m(z2.T)  # a deliberate shape error, on line 3 of this function
    return torch.cat([z1, z2 + shift], 1), z.new_zeros(len(z))


def _no_return(x, m, d):
    x[:, d:] - m(x[:, :d])


def test_an_error_in_the_students_code_names_its_line_without_a_traceback():
    result = check.additive_coupling(_raises_inside, _raises_inside)
    assert result.mistake == grading.RAISED and not result.passed
    assert result.message.startswith("✗ _raises_inside raised ValueError on line 3 of _raises_inside (`shift = m(z2.T)")
    assert "Traceback" not in result.message and "File " not in result.message and "\n" not in result.message
    result = check.additive_coupling(_no_return, _no_return)
    assert result.mistake == grading.NO_RETURN and "return" in result.message


def test_the_checker_call_leaves_the_random_state_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    check.scaling(lambda z, s: (z, z), lambda x, s: (x, x))
    assert torch.equal(torch.rand(3), expected)


def test_strip_solutions_writes_notebooks_without_solutions(tmp_path):
    out = tmp_path / "student"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "strip_solutions.py"), "--out", str(out)], check=True, cwd=ROOT,
                   capture_output=True, text=True)
    for path in NOTEBOOKS:
        original = json.loads(path.read_text())
        stripped = json.loads((out / path.name).read_text())
        assert [c["id"] for c in stripped["cells"]] == [c["id"] for c in original["cells"] if "solution" not in _tags(c)]
        text = json.dumps(stripped)
        assert "<summary>Solution" not in text and "<summary>Hints" not in text
        assert sum("exercise" in _tags(c) for c in stripped["cells"]) == sum("exercise" in _tags(c) for c in original["cells"])


def test_the_message_quoted_in_the_readme_is_the_checkers():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = "✗ inverse's log_det has the wrong sign"
    quoted = next(line.strip() for line in readme.splitlines() if line.strip().startswith(start))
    source = next(source for mistake, source in WRONG["affine_inverse"] if mistake == grading.LOG_DET_SIGN)
    assert run_cell(source).message == quoted


def test_an_error_in_the_students_loop_names_its_line():
    def maf_forward(z, mu_alpha):
        x = torch.zeros_like(z)
        mu, alpha = mu_alpha(x[:, :1])  # a (B, 1) input where (B, D) is expected
        return x, alpha
    result = check.maf_forward(maf_forward)
    assert result.mistake == grading.RAISED and "line 3 of maf_forward" in result.message and "(B, 4)" in result.message
