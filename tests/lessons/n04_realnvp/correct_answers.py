r"""Correct answers to notebook 04's exercises, written differently from the published solutions (issue 24).

``CORRECT[checker] = [(how it differs, source), ...]``: see ``tests/lessons/test_answers.py``.
"""

CORRECT = {
    "affine_forward": [
        ("a copy changed in place", """
def affine_forward(z, mu_alpha, d):
    mu, alpha = mu_alpha(z[:, :d])
    x = z.clone()
    x[:, d:] = z[:, d:] * alpha.exp() + mu
    return x, torch.sum(alpha, dim=1)
check.affine_forward(affine_forward)"""),
        ("torch.addcmul, a tuple to torch.cat, dim=-1", """
def affine_forward(z, mu_alpha, d):
    kept, changed = z[:, :d], z[:, d:]
    mu, alpha = mu_alpha(kept)
    return torch.cat((kept, torch.addcmul(mu, changed, torch.exp(alpha))), dim=-1), alpha.sum(dim=-1)
check.affine_forward(affine_forward)"""),
    ],
    "affine_inverse": [
        ("a division by exp(α)", """
def affine_inverse(x, mu_alpha, d):
    x1, x2 = x[:, :d], x[:, d:]
    mu, alpha = mu_alpha(x1)
    return torch.cat([x1, (x2 - mu) / torch.exp(alpha)], 1), -torch.sum(alpha, -1)
check.affine_inverse(affine_inverse)"""),
        ("in-place steps on a copy", """
def affine_inverse(x, mu_alpha, d):
    mu, alpha = mu_alpha(x[:, :d])
    z = x.clone()
    z[:, d:] -= mu
    z[:, d:] *= torch.exp(-alpha)
    return z, alpha.sum(-1).neg()
check.affine_inverse(affine_inverse)"""),
    ],
    "alternating_stack": [
        ("an nn.ModuleList", """
from torch import nn
from flowlib import AffineCoupling

def make_layers(dim, k):
    return nn.ModuleList([AffineCoupling(dim, hidden=(16, 16), parity=i % 2) for i in range(k)])
check.alternating_stack(make_layers)"""),
        ("a loop that flips the parity, starting with the other half", """
from flowlib import AffineCoupling

def make_layers(dim, k):
    layers, parity = [], 1
    for _ in range(k):
        layers.append(AffineCoupling(dim, parity=parity))
        parity = 1 - parity
    return layers
check.alternating_stack(make_layers)"""),
    ],
}
