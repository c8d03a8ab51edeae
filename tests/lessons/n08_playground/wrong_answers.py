r"""Deliberately wrong answers to the exercise of notebook 08, one per mistake its checker names.

``WRONG[checker] = [(mistake, source), ...]``: ``source`` is run like an exercise cell (its last line is the
check call) and the checker must answer with exactly that ``mistake``. ``tests/lessons/test_exercises.py``
collects every lesson's ``wrong_answers.py``.
"""

from flowlib.lessons.grading import NO_WEIGHTS
from flowlib.lessons.n08_playground import check as playground

_ENTROPY = """
def entropy_estimate(sample, log_prob, n):
    x = {x}
    terms = {terms}
    return terms.mean(), {se}
check.entropy_estimate(entropy_estimate)"""


def _entropy(x="sample(n)", terms="-log_prob(x)", se="terms.std() / math.sqrt(n)"):
    return _ENTROPY.format(x=x, terms=terms, se=se)


WRONG = {
    "entropy_estimate": [
        (playground.ENTROPY_SIGN, _entropy(terms="log_prob(x)")),
        (playground.STD_NOT_SE, _entropy(se="terms.std()")),
        (NO_WEIGHTS, _entropy(x="torch.randn(n, 2, dtype=torch.float64)",
                              terms="0.5 * (x ** 2).sum(-1) + math.log(2 * math.pi)")),
    ],
}
