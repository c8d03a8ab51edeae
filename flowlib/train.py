r"""Training loops: maximum likelihood on data (``fit``) and reverse KL to a target density (``fit_reverse_kl``).

Maximum likelihood (slide "Learning and inference"):
    max_θ Σ_{x∈D} log p_Z(f_θ^{-1}(x)) + log|det ∂f_θ^{-1}(x)/∂x|
Reverse KL (IAF's use, and distillation): min_θ E_{x~q_θ}[log q_θ(x) - log p̃(x)], which needs only
samples of the flow with their own log-density (one forward pass each) and log p̃ up to a constant.
"""

from __future__ import annotations

import math

import torch
from tqdm.auto import trange

from ._threads import one_thread
from ._validate import check_points

__all__ = ["fit", "fit_reverse_kl"]


def fit(flow, data: torch.Tensor, steps: int = 1000, batch_size: int = 256, lr: float = 1e-3,
        callback=None, progress: bool = True) -> list[float]:
    r"""Fit ``flow`` to ``data`` (N, D) by maximum likelihood with Adam and a cosine learning-rate decay.

    Each step draws a random batch, so seed torch beforehand for a repeatable run.

    Args:
        flow: a ``Flow`` (anything with ``log_prob`` and ``parameters``).
        data: training points, a finite floating tensor of shape (N, D) on the flow's device.
        steps, batch_size, lr: the optimisation budget.
        callback: ``callback(step, flow)`` called after every step (snapshots for sliders).
        progress: show a tqdm bar (a widget in Jupyter).

    Returns:
        the loss (mean negative log-likelihood in nats, per data point) of every step.

    Raises:
        FloatingPointError: the loss became NaN or inf; the parameters of the last finite step are
            restored first, and the message names the step.
    """
    _check_budget(steps, batch_size, lr, callback, "fit")
    check_points(data, flow.dim, "fit", "data")
    if data.shape[0] == 0:
        raise ValueError(f"fit: data has no rows; expected at least one point of shape ({flow.dim},)")
    _check_like_parameters(flow, data, "fit")
    finite = torch.isfinite(data).all(-1)
    if not bool(finite.all()):
        rows = (~finite).nonzero().squeeze(1)
        raise ValueError(f"fit: data must be finite, but {len(rows)} of its {len(data)} rows hold NaN or inf "
                         f"(the first: row {int(rows[0])}); remove them, e.g. data[torch.isfinite(data).all(-1)]")
    n = data.shape[0]

    def loss_fn():
        batch = data[torch.randint(n, (min(batch_size, n),), device=data.device)]
        return -flow.log_prob(batch).mean()

    return _optimize(flow, loss_fn, steps, lr, callback, progress, "fit")


def fit_reverse_kl(flow, target_log_prob, steps: int = 1000, batch_size: int = 256, lr: float = 1e-3,
                   callback=None, progress: bool = True) -> list[float]:
    r"""Fit ``flow`` = q_θ to an unnormalized density p̃ by minimising KL(q_θ ‖ p) up to log Z.

    Loss: mean over x ~ q_θ of log q_θ(x) - log p̃(x), with ``sample_with_log_prob`` (reparameterised,
    so gradients flow through the samples). Needs no data, only ``target_log_prob(x) -> (B,)``.
    The loss is KL(q_θ ‖ p) - log Z: it reaches -log Z at the optimum, not 0.

    Returns the loss of every step; raises ``FloatingPointError`` like ``fit``.
    """
    _check_budget(steps, batch_size, lr, callback, "fit_reverse_kl")
    if not callable(target_log_prob):
        raise TypeError(f"fit_reverse_kl: target_log_prob must be a function mapping (B, {flow.dim}) points to (B,) "
                        f"log-densities, got {type(target_log_prob).__name__}")

    def loss_fn():
        x, log_q = flow.sample_with_log_prob(batch_size)
        log_p = target_log_prob(x)
        # A (B, 1) or scalar log p̃ would broadcast against log q's (B,) into a wrong loss, silently.
        if not isinstance(log_p, torch.Tensor) or log_p.shape != log_q.shape:
            shape = tuple(log_p.shape) if isinstance(log_p, torch.Tensor) else type(log_p).__name__
            raise ValueError(f"fit_reverse_kl: target_log_prob must return a tensor of shape ({batch_size},), "
                             f"one log-density per point, got {shape}")
        return (log_q - log_p).mean()

    return _optimize(flow, loss_fn, steps, lr, callback, progress, "fit_reverse_kl")


def _check_budget(steps, batch_size, lr, callback, who: str) -> None:
    for name, value, least in (("steps", steps, 0), ("batch_size", batch_size, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ValueError(f"{who}: {name} must be an int >= {least}, got {value!r}")
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not math.isfinite(lr) or lr <= 0:
        raise ValueError(f"{who}: lr must be a positive finite number such as 1e-3, got {lr!r}")
    if callback is not None and not callable(callback):
        raise TypeError(f"{who}: callback must be a function callback(step, flow) or None, got {type(callback).__name__}")


def _check_like_parameters(flow, data: torch.Tensor, who: str) -> None:
    """The data must have the dtype and device of the flow's parameters (else torch fails deep inside)."""
    p = next(flow.parameters(), None)
    if p is not None and (p.dtype != data.dtype or p.device != data.device):
        raise ValueError(f"{who}: data is {data.dtype} on {data.device}, but the flow's parameters are {p.dtype} on "
                         f"{p.device}; move one to the other, e.g. data.to(device=..., dtype=...) or flow.to(data)")


def _adam(params, lr: float) -> torch.optim.Adam:
    """Adam, fused into one kernel for all parameters where PyTorch supports it (CPU since 2.4, CUDA):
    the per-parameter Python loop of plain Adam is a quarter of a small flow's training step."""
    try:
        return torch.optim.Adam(params, lr=lr, fused=True)
    except (RuntimeError, TypeError, ValueError):  # an older PyTorch or an unsupported device or dtype
        return torch.optim.Adam(params, lr=lr)


# One torch thread: on a shared CPU (two notebooks, a busy hub) a second thread made training 10x slower
# (flowlib/_threads.py), so slow that notebook runs looked stalled.
@one_thread()
def _optimize(flow, loss_fn, steps, lr, callback, progress, who) -> list[float]:
    params = [p for p in flow.parameters() if p.requires_grad]
    if not params:
        raise ValueError(f"{who}: the flow has no trainable parameters (a flow of permutations only?); nothing to fit")
    optimizer = _adam(params, lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(steps, 1))
    # A copy of the parameters of the last step whose loss was finite, restored if training blows up.
    last_good = [p.detach().clone() for p in params]
    history = []
    # At most one redraw a second: in Jupyter every redraw is a widget message, and a test client that
    # reads them only after the cell (nbval) loses messages past ZeroMQ's 1000-message queue, then
    # fails with "Timeout of 5 seconds exceeded waiting for output" (seen on a loaded machine).
    bar = trange(steps, desc=who, disable=not progress, leave=False, mininterval=1.0)
    for step in bar:
        loss = loss_fn()
        value = loss.item()
        if not math.isfinite(value):
            with torch.no_grad():
                for p, good in zip(params, last_good):
                    p.copy_(good)
            raise FloatingPointError(
                f"{who}: the loss became {value} at step {step} (of {steps}); the parameters of the last "
                f"finite step were restored. Try a smaller learning rate than lr={lr}."
            )
        with torch.no_grad():
            for p, good in zip(params, last_good):
                good.copy_(p)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        history.append(value)
        if step % 50 == 0:
            bar.set_postfix(loss=f"{value:.3f}")
        if callback is not None:
            callback(step, flow)
    return history
