r"""Mutation testing of the exercise checkers (issue 24): the harness is ``tests/lessons/mutants.py``.

The ``slow`` test runs the CI sample (a deterministic sample of every solution's mutants, the operator
families in turn; about a minute on 2 cores) and requires that every behaviour-changing mutant gets ✗, every
equivalent mutant gets ✓, and no checker hangs. The full run, every mutant of every solution:

    PYTHONPATH=$PWD python -m tests.lessons.mutants --all

The other tests hold the harness itself: the mutator makes each kind of mutant, the behaviour probe tells an
equivalent mutant from a behaviour-changing one, and an exercise no probe knows is still probed.
"""

from __future__ import annotations

import ast

import pytest
import torch

from tests.lessons import mutants as M

SNIPPET = '''
def f(z, m, d, lr):
    """docstring"""
    z1, z2 = z[:, :d], z[:, d:]
    out = torch.zeros_like(z)
    total = z.new_zeros(len(z))
    for i in range(z.shape[1]):
        total = total + z[:, i] * lr
    return torch.cat([z1, z2 + m(z1)], 1), -total.exp().sum(-1)
'''


def test_the_mutator_makes_every_kind_of_mutant():
    code, extra = M.instrument(SNIPPET)
    ns = {"torch": torch, **extra}
    exec(code, ns)
    ns["f"](torch.randn(4, 5), lambda v: torch.cat([v, v[:, :1]], 1), 2, 0.1)
    found = M.mutants(SNIPPET, extra["seen"])
    families = {m.operator for m in found}
    assert families >= {"operator", "swapped operands", "dropped term", "sign", "in-place", "gradient cut", "hard-coded",
                        "off by one", "reversed loop", "deleted statement", "call swapped", "call dropped",
                        "argument dropped", "constant", "swapped outputs"}, families
    whats = [m.what for m in found]
    assert any("d hard-coded as 2" in w for w in whats) and any("lr hard-coded as 0.1" in w for w in whats)
    assert any("torch.no_grad()" in w for w in whats) and any(".detach()" in w for w in whats)
    assert any("the input itself" in w for w in whats)
    assert all("docstring" not in m.diff for m in found if "no_grad" not in m.what)  # the docstring is never mutated
    assert len({m.source for m in found}) == len(found) and all(m.source != ast.unparse(ast.parse(SNIPPET)) for m in found)


def _probe(fns, k, rec, g):
    """A probe for a function meant for training: f(v, s) -> (B,)."""
    s = M._leaf(M._randn(g, 3))
    v = M._leaf(M._randn(g, [2, 5, 3, 4][k], 3))
    before = v.detach().clone()
    out = fns[0](v, s)
    rec.out("out", out)
    rec.grads("grads", out, [v, s], g)
    rec.unchanged("v", before, v)


def _fn(body: str):
    ns = {"torch": torch}
    exec(f"def f(v, s):\n    return {body}\n", ns)
    return ns["f"]


@pytest.mark.parametrize("body, equivalent", [
    ("(v * s.exp()).sum(-1) + s.sum()", True),                  # the original
    ("s.sum() + (v * s.exp()).sum(-1)", True),                  # operands swapped
    ("(s.exp() * v).sum(1) + s.sum()", True),                   # another dim, the same one
    ("(v * s.exp()).sum(-1) + s.sum().detach()", False),        # the same values, a cut gradient
    ("(v * s.exp()).sum(-1).detach() + s.sum()", False),
    ("v.mul_(1.0).sum(-1) * 0 + (v * s.exp()).sum(-1) + s.sum()", False),   # an in-place write on the input (a leaf: raises)
    ("(v * s.exp()).sum(-1) - s.sum()", False),                 # a sign
    ("(v * s.exp()).sum(-1) + s.sum() * (len(v) == 5)", False),  # right at one batch size only
])
def test_equivalence_is_decided_by_behaviour(body, equivalent):
    original = M.behaviour(_probe, [_fn("(v * s.exp()).sum(-1) + s.sum()")])
    assert M.same_behaviour(original, M.behaviour(_probe, [_fn(body)])) is equivalent


def test_the_exercises_are_found_in_the_notebooks():
    found = M.exercises()
    assert len(found) >= 21 and len({e.key for e in found}) == len(found)
    assert all(e.fn_names and e.solution.strip() for e in found)
    missing = sorted({e.checker for e in found} - M.PROBES.keys())
    print("exercises probed by replaying their checker's calls:", missing)


def test_an_exercise_without_a_probe_is_probed_by_replaying_its_checkers_calls(monkeypatch):
    exercise = next(e for e in M.exercises() if e.checker == "scaling")
    monkeypatch.delitem(M.PROBES, "scaling")
    seen, probe, original = M.prepare(exercise)
    assert probe not in M.PROBES.values() and any(len(rec) for rec in original)
    by_what = {m.what: m for m in M.mutants(exercise.solution, seen)}
    flipped = next(m for w, m in by_what.items() if "minus dropped" in w)
    swapped = next(m for w, m in by_what.items() if "operands swapped" in w)
    assert not M.same_behaviour(original, M.behaviour(probe, M.functions(exercise, flipped.source)))
    assert M.same_behaviour(original, M.behaviour(probe, M.functions(exercise, swapped.source)))


def test_a_checker_that_passes_everything_has_survivors(monkeypatch):
    from flowlib import check

    class Passed:
        passed, message = True, "✓"
    monkeypatch.setattr(check, "scaling", lambda *fns: Passed())
    results = M.run(only=["scaling"], log=lambda *a, **k: None)
    verdicts = {o.verdict for _, outcomes, _ in results.values() for o in outcomes}
    assert "survived" in verdicts and "killed" not in verdicts


@pytest.mark.slow
def test_every_behaviour_changing_mutant_is_rejected_and_every_equivalent_one_accepted():
    results = M.run()
    print(M.table(results))
    listed = M.survivors(results)
    if M.NOTES.is_dir():
        (M.NOTES / "survivors_ci_sample.txt").write_text(listed + "\n", encoding="utf-8")
    assert not listed, f"{listed.count('SURVIVED')} surviving mutants, {listed.count('CORRECT REJECTED')} correct " \
                       f"answers rejected, {listed.count('TIMEOUT')} timeouts:\n{listed}"
