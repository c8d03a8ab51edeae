r"""Correct answers to notebook 08's checked task, written differently from the published solution (issue 24).

``CORRECT[checker] = [(how it differs, source), ...]``: see ``tests/lessons/test_answers.py``.
"""

CORRECT = {
    "entropy_estimate": [
        ("the log-densities first, then minus their mean; n ** 0.5", """
def entropy_estimate(sample, log_prob, n):
    log_p = log_prob(sample(n))
    return -log_p.mean(), log_p.std() / n ** 0.5
check.entropy_estimate(entropy_estimate)"""),
        ("the unbiased variance written out", """
def entropy_estimate(sample, log_prob, n):
    terms = -log_prob(sample(n))
    variance = ((terms - terms.mean()) ** 2).sum() / (n - 1)
    return terms.mean(), torch.sqrt(variance / n)
check.entropy_estimate(entropy_estimate)"""),
    ],
}
