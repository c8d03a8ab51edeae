r"""Training loops: maximum likelihood on data (``fit``) and reverse KL to a target density (``fit_reverse_kl``).

Maximum likelihood (slide "Learning and inference"):
    max_θ Σ_{x∈D} log p_Z(f_θ^{-1}(x)) + log|det ∂f_θ^{-1}(x)/∂x|
Reverse KL (IAF's use, and distillation): min_θ E_{x~q_θ}[log q_θ(x) - log p̃(x)], which needs only
samples of the flow with their own log-density (one forward pass each) and log p̃ up to a constant.
"""

from __future__ import annotations

import math
import time

import torch
from tqdm.auto import trange

from ._threads import one_thread
from ._validate import FlowlibError, check_int, check_module, check_number, check_points, points_checked

__all__ = ["fit", "fit_reverse_kl", "Trainer", "TrainingStopped", "learning_rate_text"]


def fit(flow, data: torch.Tensor, steps: int = 1000, batch_size: int = 256, lr: float = 1e-3,
        callback=None, progress: bool = True) -> list[float]:
    r"""Fit ``flow`` to ``data`` (N, D) by maximum likelihood with Adam and a cosine learning-rate decay.

    Each step draws a random batch, so seed torch beforehand for a repeatable run.

    Args:
        flow: a ``Flow`` (anything with ``log_prob`` and ``parameters``).
        data: training points, a finite floating tensor of shape (N, D) on the flow's device.
        steps, batch_size, lr: the optimisation budget.
        callback: ``callback(step, flow)`` called after every step (snapshots for sliders).
        progress: show a tqdm bar (a widget in Jupyter), then one closing line: steps, seconds, first and last loss.

    Returns:
        the loss (mean negative log-likelihood in nats, per data point) of every step.

    Runs with gradients on, also when called inside ``torch.no_grad()``.

    Raises:
        FlowlibError (a ValueError and a TypeError): a bad argument, checked before any step. ``data``
            must have the dtype and device of the flow's parameters (``data.to(...)`` or ``flow.to(...)``).
        FloatingPointError: training broke, and the message names the step: the loss became NaN or
            inf (the parameters of the last finite step are restored), or climbed far above its best
            value (divergence: the parameters of the best step are restored), or the last update
            left a model whose loss is NaN, inf or diverged (the parameters before it are restored).
    """
    check_module(flow, "fit", "flow", needs=("log_prob",))
    steps, batch_size, lr = _check_budget(steps, batch_size, lr, callback, "fit")
    check_points(data, flow.dim, "fit", "data", like=flow)
    if data.shape[0] == 0:
        raise FlowlibError(f"fit: data has no rows; expected at least one point of shape ({flow.dim},)")
    finite = torch.isfinite(data).all(-1)
    if not bool(finite.all()):
        rows = (~finite).nonzero().squeeze(1)
        raise FlowlibError(f"fit: data must be finite, but {len(rows)} of its {len(data)} rows hold NaN or inf "
                           f"(the first: row {int(rows[0])}); remove them, e.g. data[torch.isfinite(data).all(-1)]")
    n = data.shape[0]

    def loss_fn():
        batch = data[torch.randint(n, (min(batch_size, n),), device=data.device)]
        with points_checked():  # rows of data, checked above: not again at every step
            return -flow.log_prob(batch).mean()

    return _optimize(flow, loss_fn, steps, lr, callback, progress, "fit")


def fit_reverse_kl(flow, target_log_prob, steps: int = 1000, batch_size: int = 256, lr: float = 1e-3,
                   callback=None, progress: bool = True) -> list[float]:
    r"""Fit ``flow`` = q_θ to an unnormalized density p̃ by minimising KL(q_θ ‖ p) up to log Z.

    Loss: mean over x ~ q_θ of log q_θ(x) - log p̃(x), with ``sample_with_log_prob`` (reparameterised,
    so gradients flow through the samples). Needs no data, only ``target_log_prob(x) -> (B,)``.
    The loss is KL(q_θ ‖ p) - log Z: it reaches -log Z at the optimum, not 0.

    Returns the loss of every step; raises ``FlowlibError`` and ``FloatingPointError`` like ``fit``.
    """
    check_module(flow, "fit_reverse_kl", "flow", needs=("sample_with_log_prob",))
    steps, batch_size, lr = _check_budget(steps, batch_size, lr, callback, "fit_reverse_kl")
    if not callable(target_log_prob):
        raise FlowlibError(f"fit_reverse_kl: target_log_prob must be a function mapping (B, {flow.dim}) points to (B,) "
                           f"log-densities, got {type(target_log_prob).__name__}")

    def loss_fn():
        x, log_q = flow.sample_with_log_prob(batch_size)
        log_p = target_log_prob(x)
        # A (B, 1) or scalar log p̃ would broadcast against log q's (B,) into a wrong loss, silently.
        if not isinstance(log_p, torch.Tensor) or log_p.shape != log_q.shape or log_p.device != log_q.device:
            got = type(log_p).__name__ if not isinstance(log_p, torch.Tensor) else (
                f"{tuple(log_p.shape)}" if log_p.device == log_q.device else f"a tensor on {log_p.device}")
            raise FlowlibError(f"fit_reverse_kl: target_log_prob must return a tensor of shape ({batch_size},), "
                               f"one log-density per point, on the flow's device {log_q.device}, got {got}")
        return (log_q - log_p).mean()

    return _optimize(flow, loss_fn, steps, lr, callback, progress, "fit_reverse_kl")


def _check_budget(steps, batch_size, lr, callback, who: str):
    """``(steps, batch_size, lr)`` after checking them (and that ``callback`` is callable)."""
    steps = check_int(steps, who, "steps", least=0)
    batch_size = check_int(batch_size, who, "batch_size", least=1)
    lr = check_number(lr, who, "lr", positive=True, example="1e-3")
    if callback is not None and not callable(callback):
        raise FlowlibError(f"{who}: callback must be a function callback(step, flow) or None, got {type(callback).__name__}")
    return steps, batch_size, lr


# Divergence: the median of the last RECENT losses climbed DIVERGED times (1 + |first loss|) above the lowest
# such median. A median of nine ignores up to four bad mini-batches in a row (RealNVP on the checkerboard at
# lr=3e-3 meets a single batch of 43 nats among losses of 3.6), and healthy runs wander by a fraction of
# their first loss; a blow-up climbs without end (RealNVP on the eight Gaussians at lr=1: from 5 to 7.5e6 nats).
DIVERGED, RECENT = 10, 9


class TrainingStopped(FloatingPointError):
    r"""Training broke and was stopped (the good parameters restored): a ``FloatingPointError`` whose message
    names the step, with ``step`` (the losses kept before it), ``value`` (the loss that stopped it) and
    ``diverged`` (True: finite but climbing; False: NaN or inf)."""

    def __init__(self, message: str, step: int, value: float, diverged: bool):
        super().__init__(message)
        self.step, self.value, self.diverged = step, value, diverged


def learning_rate_text(lr: float) -> str:
    r"""``lr`` as a slider with ``readout_format=".0e"`` shows it: one digit and the exponent.

    >>> learning_rate_text(0.0031622776601683794), learning_rate_text(1e-3), learning_rate_text(1.0)
    ('3e-3', '1e-3', '1e0')
    """
    mantissa, exponent = f"{lr:.0e}".split("e")
    return f"{mantissa}e{int(exponent)}"


class Trainer:
    r"""Adam steps on ``loss_fn()``, a few at a time, stopped when training breaks: the one training loop
    behind ``fit``, ``fit_reverse_kl`` and notebook 08's playground.

    ``step(k)`` takes up to k steps; each evaluates the loss, checks it, and updates the parameters.
    Training stops (``TrainingStopped``, a ``FloatingPointError`` naming the step) when the loss becomes
    NaN or inf (the parameters of the last finite step are restored) or diverges, robustly to mini-batch
    noise: the median of the last ``RECENT`` losses climbs ``DIVERGED`` (1 + |first loss|) above the
    lowest such median (the parameters of the step with the lowest loss are restored).

    Args:
        flow: a module with trainable, finite parameters.
        loss_fn: ``loss_fn() -> scalar tensor`` of one mini-batch.
        lr: Adam's learning rate (``trainer.lr = ...`` changes it between steps).
        steps: the run's length, for a cosine decay of the learning rate to 0 over it (``fit``); None:
            a constant learning rate (the playground trains as long as asked).
        who: the name the messages start with.

    >>> from flowlib import make_nice, toy_data
    >>> _ = torch.manual_seed(0)
    >>> flow, data = make_nice(2, layers=2, hidden=(8,)), toy_data("moons", 256)
    >>> trainer = Trainer(flow, lambda: -flow.log_prob(data).mean(), lr=1e-2)
    >>> trainer.step(5), len(trainer.losses)
    (5, 5)
    """

    def __init__(self, flow, loss_fn, lr: float, steps: int | None = None, who: str = "fit"):
        if torch.is_inference_mode_enabled():
            raise FlowlibError(f"{who}: called inside torch.inference_mode(), where no gradient can be computed; "
                               "call it outside that block")
        self.params = [p for p in flow.parameters() if p.requires_grad]
        if not self.params:
            raise FlowlibError(f"{who}: the flow has no trainable parameters (a flow of permutations only?); nothing to fit")
        broken = [name for name, p in flow.named_parameters() if p.requires_grad and not bool(torch.isfinite(p).all())]
        if broken:
            raise FlowlibError(f"{who}: the flow's parameter {broken[0]} holds NaN or inf before training; "
                               "rebuild the flow (or load parameters saved before it broke)")
        self.flow, self.loss_fn, self.steps, self.who = flow, loss_fn, steps, who
        self.optimizer, self.start_lr = _adam(self.params, lr), lr
        self.scheduler = None if steps is None else torch.optim.lr_scheduler.CosineAnnealingLR(self.optimizer,
                                                                                             T_max=max(steps, 1))
        # Copies of the parameters of the last step whose loss was finite, and of the step whose loss was
        # the lowest: restored if training blows up or diverges.
        self.last_good = [p.detach().clone() for p in self.params]
        self.best = [p.detach().clone() for p in self.params]
        self.best_value, self.best_step, self.best_median = math.inf, 0, math.inf
        self.losses: list[float] = []

    @property
    def lr(self) -> float:
        return self.optimizer.param_groups[0]["lr"]

    @lr.setter
    def lr(self, value: float) -> None:
        self.start_lr = value
        for group in self.optimizer.param_groups:
            group["lr"] = value

    def reset_optimizer(self) -> None:
        """A fresh Adam at the current learning rate: after a stop, its moments may hold the blow-up."""
        self.optimizer = _adam(self.params, self.lr)

    @torch.enable_grad()  # training needs gradients, also inside a caller's torch.no_grad()
    def step(self, k: int = 1) -> int:
        r"""Up to ``k`` steps; returns how many were taken (k, unless ``TrainingStopped`` is raised)."""
        for _ in range(k):
            loss = self.loss_fn()
            value = loss.item()
            self._check(value, len(self.losses))
            with torch.no_grad():
                for p, good in zip(self.params, self.last_good):
                    good.copy_(p)
                if value < self.best_value:
                    self.best_value, self.best_step = value, len(self.losses)
                    for p, good in zip(self.params, self.best):
                        good.copy_(p)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            if self.scheduler is not None:
                self.scheduler.step()
            self.losses.append(value)
        return k

    def check_last(self) -> None:
        r"""Check the loss after the last update, which no step evaluated: on a fork of the random number
        generators, so the caller's next random draws are the same as without this check."""
        if not self.losses:
            return
        cuda = sorted({p.device.index or 0 for p in self.params if p.is_cuda})
        with torch.random.fork_rng(devices=cuda), torch.no_grad():
            self._check(self.loss_fn().item(), len(self.losses), after_last=True)

    def _check(self, value: float, step: int, after_last: bool = False) -> None:
        """Raise ``TrainingStopped`` if ``value``, the loss at ``step``, says training broke (after restoring)."""
        total = f" of {self.steps}" if self.steps is not None else ""
        where = f"after the last update (step {step - 1}{total})" if after_last else (
            f"at step {step} (of {self.steps})" if self.steps is not None else f"at step {step}")
        # the rate the caller chose: fit's, before its cosine decay; the playground's, as its slider shows it
        lr = self.start_lr if self.steps is not None else learning_rate_text(self.lr)
        advice = f"Try a smaller learning rate than lr={lr}."
        if not math.isfinite(value):
            self._restore(self.last_good)
            if step == 0:  # not the learning rate: nothing was updated yet
                raise TrainingStopped(f"{self.who}: the loss is {value} at step 0, before any update, so the learning rate "
                                      "is not the cause: the flow (or the data or target it is fitted to) gives a "
                                      "non-finite log-density; check them, e.g. flow.log_prob(data).isfinite().all()",
                                      step, value, diverged=False)
            raise TrainingStopped(f"{self.who}: the loss became {value} {where}; the parameters of the last finite step "
                                  f"were restored. {advice}", step, value, diverged=False)
        recent = sorted(self.losses[-RECENT + 1:] + [value])
        median = (recent[(len(recent) - 1) // 2] + recent[len(recent) // 2]) / 2
        first = self.losses[0] if self.losses else value
        if median - self.best_median > DIVERGED * (1 + abs(first)):
            self._restore(self.best)
            raise TrainingStopped(f"{self.who}: training diverged: the loss climbed from {self.best_value:.4g} (step "
                                  f"{self.best_step}) to {value:.4g} {where}; the parameters of step {self.best_step} "
                                  f"were restored. {advice}", step, value, diverged=True)
        self.best_median = min(self.best_median, median)

    def _restore(self, saved) -> None:
        with torch.no_grad():
            for p, good in zip(self.params, saved):
                p.copy_(good)


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
    trainer = Trainer(flow, loss_fn, lr, steps=steps, who=who)
    # At most one redraw a second: in Jupyter every redraw is a widget message, and a test client that
    # reads them only after the cell (nbval) loses messages past ZeroMQ's 1000-message queue, then
    # fails with "Timeout of 5 seconds exceeded waiting for output" (seen on a loaded machine).
    bar = trange(steps, desc=who, disable=not progress, leave=False, mininterval=1.0)
    start = time.perf_counter()
    for step in bar:
        trainer.step()
        if step % 50 == 0:
            bar.set_postfix(loss=f"{trainer.losses[-1]:.3f}")
        if callback is not None:
            callback(step, flow)
    trainer.check_last()
    history = trainer.losses
    if progress and history:
        # The bar vanishes when done (leave=False), and a saved notebook keeps only its first frame (0%):
        # this line is what the finished cell says, live and in the committed notebook.
        print(f"{who}: {len(history)} steps in {time.perf_counter() - start:.1f} s, "
              f"loss {history[0]:.3f} -> {history[-1]:.3f}")
    return history
