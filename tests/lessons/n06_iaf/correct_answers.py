r"""Correct answers to notebook 06's exercises, written differently from the published solutions (issue 24).

``CORRECT[checker] = [(how it differs, source), ...]``: see ``tests/lessons/test_answers.py``.
"""

CORRECT = {
    "iaf_forward": [
        ("torch.addcmul, the sum over dim 1", """
def iaf_forward(z, mu_alpha):
    mu, alpha = mu_alpha(z)
    return torch.addcmul(mu, z, alpha.exp()), torch.sum(alpha, 1)
check.iaf_forward(iaf_forward)"""),
        ("μ first, an einsum for the log-det", """
def iaf_forward(z, mu_alpha):
    mu, alpha = mu_alpha(z)
    return mu + torch.exp(alpha) * z, torch.einsum("bi->b", alpha)
check.iaf_forward(iaf_forward)"""),
    ],
    "iaf_inverse": [
        ("no in-place write: torch.where per pass; the log-det from one last pass", """
def iaf_inverse(x, mu_alpha):
    z = torch.zeros_like(x)
    columns = torch.arange(x.shape[1])
    for i in range(x.shape[1]):
        mu, alpha = mu_alpha(z)
        z = torch.where(columns == i, (x - mu) / torch.exp(alpha), z)
    mu, alpha = mu_alpha(z)
    return z, -alpha.sum(-1)
check.iaf_inverse(iaf_inverse)"""),
        ("a copy updated in place, one column per pass", """
def iaf_inverse(x, mu_alpha):
    z = x.clone() * 0
    log_det = x.new_zeros(x.shape[0])
    for i in range(x.shape[1]):
        mu, alpha = mu_alpha(z)
        z[:, i] = (x[:, i] - mu[:, i]) / alpha[:, i].exp()
        log_det -= alpha[:, i]
    return z, log_det
check.iaf_inverse(iaf_inverse)"""),
    ],
    "sample_with_log_prob": [
        ("the layers one by one", """
def sample_and_log_q(flow, n):
    z = flow.base.sample(n)
    log_q = flow.base.log_prob(z)
    x = z
    for layer in flow.layers:
        x, log_det = layer(x)
        log_q = log_q - log_det
    return x, log_q
check.sample_with_log_prob(sample_and_log_q)"""),
        ("flow.forward, log p_Z written out", """
def sample_and_log_q(flow, n):
    z = flow.base.sample(n)
    x, log_det = flow.forward(z)
    log_p_z = -0.5 * z.pow(2).sum(-1) - 0.5 * z.shape[1] * math.log(2 * math.pi)
    return x, log_p_z - log_det
check.sample_with_log_prob(sample_and_log_q)"""),
    ],
}
