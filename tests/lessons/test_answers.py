r"""Answers as students write them (issue 24): correct ones must get ✓, wrong ones ✗ with a true sentence.

- Every lesson's ``correct_answers.py`` holds ``CORRECT[checker] = [(how it differs, source), ...]``: at least two
  correct answers per exercise, written differently from the published solution (other operations, loops
  instead of vectorised code, in-place updates of copies, an ``nn.ModuleList``, a ``log_prob`` that reverses
  its layer list in place, ...). Each must get ✓.
- Every lesson's ``wrong_answers.py`` may hold ``WRONG_KINDS[checker] = [(kind, mistakes, source), ...]``: wrong answers
  of the kinds the issue lists (gradients cut by ``no_grad``/``detach``/NumPy; ignored or hard-coded
  arguments; inputs mutated in place; dense determinants; global state changed; infinite loops;
  ``sys.exit()``/``KeyboardInterrupt``; errors inside ``@torch.no_grad()`` functions; tied weights). Each must
  get ✗ (a ``Result``, never an exception) naming one of ``mistakes`` (constants of ``flowlib.lessons.grading``
  or of the lesson's ``check`` module; None: any), in a sentence without a traceback, leave torch's global
  switches as they were, and come back within ``BUDGET_S`` seconds.
  (The wrong answers that name one of a checker's mistakes exactly live in ``WRONG``, tested by
  ``test_exercises.py``.)
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import pytest
import torch

from flowlib.lessons import grading
from tests.lessons import mutants
from tests.lessons.test_exercises import EXERCISES, run_cell

HERE = Path(__file__).parent
BUDGET_S = float(os.environ.get("ANSWERS_BUDGET_S", 120))  # far above a checker's own budget: reaching it = none


def _collect(module_name: str, attribute: str) -> dict:
    merged: dict = {}
    for path in sorted(HERE.glob(f"n*/{module_name}.py")):
        module = importlib.import_module(f"{__package__}.{path.parent.name}.{module_name}")
        for checker, answers in getattr(module, attribute, {}).items():
            merged.setdefault(checker, []).extend(answers)
    return merged


CORRECT = _collect("correct_answers", "CORRECT")
WRONG_KINDS = _collect("wrong_answers", "WRONG_KINDS")
CORRECT_CASES = [(c, how, src) for c, answers in CORRECT.items() for how, src in answers]
WRONG_CASES = [(c, kind, names, src) for c, answers in WRONG_KINDS.items() for kind, names, src in answers]


def _mistakes(checker: str, names) -> set:
    """The values of the mistake constants ``names``, from the grading core or the checker's own module."""
    from flowlib import check
    from flowlib.lessons import grading
    home = importlib.import_module(getattr(check, checker).__module__)
    values = set()
    for name in names:
        value = getattr(grading, name, getattr(home, name, None))
        assert isinstance(value, str), f"no mistake constant {name} in flowlib.lessons.grading or {home.__name__} (yet)"
        values.add(value)
    return values


def _state():
    return {"grad enabled": torch.is_grad_enabled(), "default dtype": torch.get_default_dtype(),
            "threads": torch.get_num_threads(), "anomaly mode": torch.is_anomaly_enabled(),
            "deterministic": torch.are_deterministic_algorithms_enabled()}


def _grade(source: str):
    """(result, global state before, after): the cell run within the budget; the state put back afterwards."""
    with mutants.global_state_kept():
        before = _state()
        try:
            with mutants.time_limit(BUDGET_S):
                result = run_cell(source)
        except mutants.Timeout:
            pytest.fail(f"no answer within {BUDGET_S} s: the checker has no time budget of its own")
        except BaseException as exc:  # noqa: BLE001 -- SystemExit and KeyboardInterrupt included
            pytest.fail(f"the check raised {type(exc).__name__} instead of returning a Result: {exc}")
        after = _state()
    return result, before, after


def test_every_exercise_has_two_correct_answers_written_differently():
    checkers = {source.strip().splitlines()[-1].split("(")[0].removeprefix("check.") for _, source, _, _ in EXERCISES}
    few = {c: len(CORRECT.get(c, [])) for c in checkers if len(CORRECT.get(c, [])) < 2}
    assert not few, f"exercises with fewer than two correct alternatives: {few}"
    published = {source.strip() for _, _, source, _ in EXERCISES}
    assert not [how for _, how, src in CORRECT_CASES if src.strip().rsplit("\n", 1)[0].strip() in published]


@pytest.mark.parametrize("checker, how, source", CORRECT_CASES, ids=[f"{c}-{h[:40]}" for c, h, _ in CORRECT_CASES])
def test_a_correct_answer_written_differently_passes(checker, how, source):
    assert f"check.{checker}(" in source.strip().splitlines()[-1]
    result, before, after = _grade(source)
    assert result.passed, f"a correct answer ({how}) was rejected: {result.message}"
    assert str(result).startswith("✓ ")
    assert after == before


@pytest.mark.parametrize("checker, kind, names, source", WRONG_CASES, ids=[f"{c}-{k[:40]}" for c, k, _, _ in WRONG_CASES])
def test_a_wrong_answer_of_the_issues_kinds_gets_a_cross_and_changes_nothing(checker, kind, names, source, monkeypatch):
    assert f"check.{checker}(" in source.strip().splitlines()[-1]
    if kind.startswith("infinite loop"):  # the budget runs out either way: 2 s of it instead of 20 (CI's time)
        monkeypatch.setattr(grading, "TIME_BUDGET_S", 2.0)
    result, before, after = _grade(source)
    assert not result.passed, f"a wrong answer ({kind}) passed: {result.message}"
    message = str(result)
    assert message.startswith("✗ ") and "Traceback" not in message and 'File "' not in message, message
    assert "grading.py" not in message and "torch/" not in message, f"the message points into the library: {message}"
    assert after == before, f"the check left torch's global state changed: {before} -> {after}"
    if names is not None:
        assert result.mistake in _mistakes(checker, names), f"{kind}: expected one of {names}, got {result.mistake!r}: {message}"
