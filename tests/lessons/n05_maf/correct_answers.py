r"""Correct answers to notebook 05's exercises, written differently from the published solutions (issue 24).

``CORRECT[checker] = [(how it differs, source), ...]``: see ``tests/lessons/test_answers.py``.
"""

CORRECT = {
    "made_masks": [
        ("hidden degrees spread evenly, masks by explicit loops", """
def made_masks_for(D, hidden, order):
    rank = [0] * D
    for place, j in enumerate(order):
        rank[j] = place + 1                                  # x_j is the rank[j]-th in the order
    degrees = [rank] + [[1 + (i * (D - 1)) // h for i in range(h)] for h in hidden]
    masks = []
    for d_in, d_out in zip(degrees, degrees[1:]):
        masks.append(torch.tensor([[1.0 if o >= i else 0.0 for i in d_in] for o in d_out]))
    d_last = rank + rank
    masks.append(torch.tensor([[1.0 if o > i else 0.0 for i in degrees[-1]] for o in d_last]))
    return masks
check.made_masks(made_masks_for)"""),
        ("degrees by inverting the permutation with scatter, masks with torch.where", """
def made_masks_for(D, hidden, order):
    degree_in = torch.empty(D, dtype=torch.long).scatter_(0, torch.tensor(order), torch.arange(1, D + 1))
    degrees = [degree_in] + [torch.arange(h) % (D - 1) + 1 for h in hidden]
    one, zero = torch.tensor(1.0), torch.tensor(0.0)
    masks = [torch.where(d_out.unsqueeze(1) >= d_in.unsqueeze(0), one, zero) for d_in, d_out in zip(degrees, degrees[1:])]
    d_last = torch.cat([degree_in, degree_in])
    return masks + [torch.where(d_last.unsqueeze(1) > degrees[-1].unsqueeze(0), one, zero)]
check.made_masks(made_masks_for)"""),
    ],
    "maf_inverse": [
        ("a division by exp(α), the sum over dim 1", """
def maf_inverse(x, mu_alpha):
    mu, alpha = mu_alpha(x)
    return (x - mu) / alpha.exp(), -torch.sum(alpha, dim=1)
check.maf_inverse(maf_inverse)"""),
        ("exp(-α) distributed over the difference", """
def maf_inverse(x, mu_alpha):
    mu, alpha = mu_alpha(x)
    scale = torch.exp(-alpha)
    return scale * x - scale * mu, (-alpha).sum(-1)
check.maf_inverse(maf_inverse)"""),
    ],
    "maf_forward": [
        ("no in-place write: each pass builds a new x with torch.where; the log-det from one last pass", """
def maf_forward(z, mu_alpha):
    x = torch.zeros_like(z)
    columns = torch.arange(z.shape[1])
    for i in range(z.shape[1]):
        mu, alpha = mu_alpha(x)
        x = torch.where(columns == i, z * torch.exp(alpha) + mu, x)
    mu, alpha = mu_alpha(x)              # α_i reads x_{<i} only: the last pass gives every α_i
    return x, alpha.sum(-1)
check.maf_forward(maf_forward)"""),
        ("columns collected in a list, the rest padded with zeros", """
def maf_forward(z, mu_alpha):
    B, D = z.shape
    columns, log_det = [], 0
    for i in range(D):
        x = torch.stack(columns + [z.new_zeros(B)] * (D - i), 1)
        mu, alpha = mu_alpha(x)
        columns.append(z[:, i] * alpha[:, i].exp() + mu[:, i])
        log_det = log_det + alpha[:, i]
    return torch.stack(columns, 1), log_det
check.maf_forward(maf_forward)"""),
    ],
}
