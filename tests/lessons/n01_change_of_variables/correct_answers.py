r"""Correct answers to notebook 01's exercises, written differently from the published solutions (issue 24).

``CORRECT[checker] = [(how it differs, source), ...]``: ``source`` runs like an exercise cell (its last line is
the check call) and the checker must say ✓. ``tests/lessons/test_answers.py`` collects every lesson's file.
"""

CORRECT = {
    "sample_exponential": [
        ("log(1 - u) instead of log1p", """
def sample_exponential(u, rate):
    return -torch.log(1 - u) / rate
check.sample_exponential(sample_exponential)"""),
        ("log of the reciprocal, times 1/rate", """
def sample_exponential(u, rate):
    return torch.log(1 / (1 - u)) * (1 / rate)
check.sample_exponential(sample_exponential)"""),
    ],
    "bend_log_prob": [
        ("the rotation as a matrix product; N(0, I) from torch.distributions", """
def bend_log_prob(x, theta):
    a, s, b, phi = theta.unbind()
    c, t = torch.cos(phi), torch.sin(phi)
    rotation = torch.stack([torch.stack([c, t]), torch.stack([-t, c])])   # R(-φ)
    y = x @ rotation.T
    z1 = y[:, 0] / torch.exp(a)
    z2 = (y[:, 1] - b * z1 ** 2) / torch.exp(s * z1)
    normal = torch.distributions.Normal(torch.zeros_like(a), torch.ones_like(a))
    return normal.log_prob(z1) + normal.log_prob(z2) - a - s * z1
check.bend_log_prob(bend_log_prob)"""),
        ("indexing theta, the log-det written as a log of the determinant's factors", """
def bend_log_prob(x, theta):
    phi = theta[3]
    y1 = x[:, 0] * torch.cos(phi) + x[:, 1] * torch.sin(phi)
    y2 = x[:, 1] * torch.cos(phi) - x[:, 0] * torch.sin(phi)
    z1 = y1 * torch.exp(-theta[0])
    z2 = (y2 - theta[2] * z1 * z1) * torch.exp(-theta[1] * z1)
    log_det = torch.log(torch.exp(-theta[0]) * torch.exp(-theta[1] * z1))
    return -(z1 * z1 + z2 * z2) / 2 - math.log(2 * math.pi) + log_det
check.bend_log_prob(bend_log_prob)"""),
    ],
    "training_loop": [
        ("zero_grad(set_to_none) first, the log-likelihood written out, float(loss)", """
def train(flow, data, steps, lr):
    optimizer = torch.optim.Adam(flow.parameters(), lr=lr)
    losses = []
    for step in range(steps):
        optimizer.zero_grad(set_to_none=True)
        z, log_det = flow.inverse(data)
        log_p = -0.5 * (z ** 2).sum(-1) - 0.5 * z.shape[1] * math.log(2 * math.pi) + log_det
        loss = -log_p.sum() / len(data)
        loss.backward()
        optimizer.step()
        losses.append(float(loss))
    return losses
check.training_loop(train)"""),
        ("a while loop, zero_grad after the step, the losses as a tuple", """
def train(flow, data, steps, lr):
    optimizer = torch.optim.Adam(params=list(flow.parameters()), lr=lr)
    losses, done = [], 0
    while done < steps:
        loss = torch.mean(-flow.log_prob(data))
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.detach().item())
        done += 1
    return tuple(losses)
check.training_loop(train)"""),
    ],
}
