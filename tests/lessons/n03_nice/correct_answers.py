r"""Correct answers to notebook 03's exercises, written differently from the published solutions (issue 24).

``CORRECT[checker] = [(how it differs, source), ...]``: see ``tests/lessons/test_answers.py``.
"""

CORRECT = {
    "additive_coupling": [
        ("a copy changed in place", """
def additive_forward(z, m, d):
    x = z.clone()
    x[:, d:] = x[:, d:] + m(z[:, :d])
    return x, torch.zeros_like(z[:, 0])

def additive_inverse(x, m, d):
    z = x.clone()
    z[:, d:] -= m(x[:, :d])
    return z, torch.zeros(x.shape[0], dtype=x.dtype)
check.additive_coupling(additive_forward, additive_inverse)"""),
        ("torch.split and torch.hstack", """
def additive_forward(z, m, d):
    z1, z2 = torch.split(z, [d, z.shape[1] - d], dim=1)
    return torch.hstack([z1, m(z1) + z2]), 0 * z.sum(-1).detach()

def additive_inverse(x, m, d):
    x1, x2 = torch.split(x, [d, x.shape[1] - d], dim=1)
    return torch.hstack([x1, x2 - m(x1)]), x.new_zeros(x.shape[:1])
check.additive_coupling(additive_forward, additive_inverse)"""),
    ],
    "scaling": [
        ("exp(s) as a division, the log-det by repeat", """
def scaling_forward(z, s):
    return z / torch.exp(-s), s.sum().repeat(z.shape[0])

def scaling_inverse(x, s):
    return x / s.exp(), (-s).sum().repeat(x.shape[0])
check.scaling(scaling_forward, scaling_inverse)"""),
        ("a batch of ones times Σ s", """
def scaling_forward(z, s):
    return torch.exp(s) * z, s.sum() * z.new_ones(len(z))

def scaling_inverse(x, s):
    return torch.exp(-s) * x, -torch.sum(s) * torch.ones(len(x), dtype=x.dtype)
check.scaling(scaling_forward, scaling_inverse)"""),
    ],
    "log_prob": [
        ("the layer list reversed in place first", """
def stack_log_prob(x, layers):
    layers.reverse()
    log_det = 0
    for layer in layers:
        x, ld = layer.inverse(x)
        log_det = log_det + ld
    return -0.5 * (x ** 2).sum(1) - x.shape[1] / 2 * math.log(2 * math.pi) + log_det
check.log_prob(stack_log_prob)"""),
        ("indices counting down, N(0, I) from torch.distributions", """
def stack_log_prob(x, layers):
    total = torch.zeros(len(x), dtype=x.dtype)
    for k in range(len(layers) - 1, -1, -1):
        x, ld = layers[k].inverse(x)
        total = total + ld
    base = torch.distributions.Normal(torch.zeros((), dtype=x.dtype), torch.ones((), dtype=x.dtype))
    return base.log_prob(x).sum(-1) + total
check.log_prob(stack_log_prob)"""),
        ("recursion on the last layer", """
def stack_log_prob(x, layers):
    if not layers:
        return -0.5 * (x ** 2).sum(-1) - 0.5 * x.shape[-1] * math.log(2 * math.pi)
    z, log_det = layers[-1].inverse(x)
    return stack_log_prob(z, layers[:-1]) + log_det
check.log_prob(stack_log_prob)"""),
    ],
}
