r"""The playground's training session (notebook 08), without widgets: testable without a kernel.

A ``Session`` holds one choice of data and model and trains it a few steps at a time, so that a
front end (``views.Playground`` beside it) can interleave training with redraws and button clicks:

- data: a toy of ``TOYS`` (maximum likelihood, loss = mean negative log-likelihood in nats, whose
  floor is the toy's entropy H(p) where it is known), the points of a typed word (``word_data``),
  or, for the IAF, a target of ``TARGETS`` (reverse KL, loss = KL(q_θ ‖ p) - log Z, floor -log Z);
- model: NICE, RealNVP or MAF fitted to data, or an IAF fitted to a target by reverse KL;
- ``step(k)`` runs k Adam steps with the losses of ``fit`` and ``fit_reverse_kl``, by the trainer behind
  ``fit`` (``flowlib.Trainer``) and with its rule: a loss that becomes NaN or inf, or diverges (its
  median over the last steps climbs far above its best, so one bad mini-batch does not count), stops
  training with a message and keeps the last good model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch

from ... import check_int, one_thread
from ...datasets import TARGETS, TOYS, target_log_normalizer, target_log_prob, toy_data, toy_entropy
from ...models import make_iaf, make_maf, make_nice, make_realnvp
from ...train import Trainer, TrainingStopped, learning_rate_text

__all__ = ["MODELS", "Settings", "Session", "word_data"]

# Model name -> builder; the IAF is the one fitted by reverse KL (its sampling is the fast direction).
MODELS = {"NICE": make_nice, "RealNVP": make_realnvp, "MAF": make_maf, "IAF": make_iaf}
WORD = "word"  # the data choice that means "the points of Settings.word"
N_DATA = 4000
BOUNDS = (-4.0, 4.0, -4.0, 4.0)  # every dataset and target is drawn in this box


def word_data(text: str, n: int, seed: int = 0) -> torch.Tensor:
    r"""``n`` points uniform inside the letters of ``text`` (matplotlib's TextPath, DejaVu Sans Bold),
    scaled to fit [-3.5, 3.5] x [-2, 2] and centred; float32, shape (n, 2).

    >>> word_data("flow", 5).shape
    torch.Size([5, 2])
    """
    import numpy as np
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextPath

    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"word_data: text must be a non-empty word such as 'flow', got {text!r}")
    text = text.strip()[:12]  # longer words become lines too thin to learn on a 2-core machine
    path = TextPath((0, 0), text, size=1.0, prop=FontProperties(family="DejaVu Sans", weight="bold"))
    (x0, y0), (x1, y1) = path.vertices.min(0), path.vertices.max(0)
    rng = np.random.default_rng(seed)
    points, have = [], 0
    while have < n:  # rejection sampling in the bounding box: glyphs fill a third of it or more
        candidates = rng.uniform((x0, y0), (x1, y1), size=(max(4 * (n - have), 64), 2))
        inside = candidates[path.contains_points(candidates)]
        points.append(inside)
        have += len(inside)
    x = np.concatenate(points)[:n]
    scale = min(7.0 / (x1 - x0), 4.0 / (y1 - y0))
    x = (x - [(x0 + x1) / 2, (y0 + y1) / 2]) * scale
    return torch.as_tensor(x, dtype=torch.float32)


@dataclass(frozen=True)
class Settings:
    r"""One choice of the playground's controls. ``data`` is a toy of ``TOYS`` or ``"word"`` (then
    ``word`` is the text) for NICE, RealNVP and MAF, and a target of ``TARGETS`` for the IAF."""

    model: str = "RealNVP"
    data: str = "moons"
    word: str = "flow"
    layers: int = 4
    hidden: int = 64
    lr: float = 3e-3
    batch_size: int = 256
    seed: int = 0

    def check(self) -> Settings:
        if self.model not in MODELS:
            raise ValueError(f"Settings: model must be one of {tuple(MODELS)}, got {self.model!r}")
        choices = TARGETS if self.reverse_kl else (*TOYS, WORD)
        if self.data not in choices:
            raise ValueError(f"Settings: data for {self.model} must be one of {choices}, got {self.data!r}")
        if self.data == WORD and not (isinstance(self.word, str) and self.word.strip()):
            raise ValueError(f"Settings: data 'word' needs a non-empty word such as 'flow', got {self.word!r}")
        for name, least in (("layers", 1), ("hidden", 2), ("batch_size", 1)):
            check_int(getattr(self, name), "Settings", name, least=least)
        if not (isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"Settings: lr must be a positive number such as 3e-3, got {self.lr!r}")
        return self

    @property
    def reverse_kl(self) -> bool:
        """The IAF is fitted to a target density by reverse KL; the others to data by maximum likelihood."""
        return self.model == "IAF"



class Session:
    r"""One model trained on one dataset (or target), a few steps at a time.

    Attributes: ``settings``; ``flow``; ``data`` (N, 2) or None for reverse KL; ``losses`` (one per
    step); ``floor`` (H(p) in nats for data, -log Z for a target, None where unknown); ``message``
    (why training stopped, "" while it may go on); ``stopped`` (True after a blow-up until ``reset``).
    """

    def __init__(self, settings: Settings | None = None, **changes):
        self.settings = replace(settings or Settings(), **changes).check()
        self.reset()

    def reset(self) -> None:
        r"""A fresh model (seeded by ``settings.seed``) and optimizer; the losses are cleared."""
        s = self.settings
        torch.manual_seed(s.seed)
        self.flow = MODELS[s.model](2, layers=s.layers, hidden=(s.hidden, s.hidden))
        if s.reverse_kl:
            self.data, self.floor = None, -target_log_normalizer(s.data)
        else:
            self.data = word_data(s.word, N_DATA, s.seed) if s.data == WORD else toy_data(s.data, N_DATA, s.seed)
            self.floor = toy_entropy(s.data) if s.data in ("eight_gaussians", "checkerboard", "banana") else None
        self.trainer = Trainer(self.flow, self.loss, s.lr, who="playground")
        self.message, self.stopped = "", False

    @property
    def params(self) -> list[torch.Tensor]:
        return self.trainer.params

    @property
    def optimizer(self) -> torch.optim.Optimizer:
        return self.trainer.optimizer

    @property
    def losses(self) -> list[float]:
        """The loss of every step since the last reset."""
        return self.trainer.losses

    def configure(self, **changes) -> bool:
        r"""Change settings. A new model, data or size gives a fresh model (``reset``); the learning rate
        and the batch size apply from the next step on. Returns whether the model was reset."""
        new = replace(self.settings, **changes).check()
        old, self.settings = self.settings, new
        if replace(old, lr=new.lr, batch_size=new.batch_size) != new:
            self.reset()
            return True
        self.trainer.lr = new.lr
        return False

    def loss(self) -> torch.Tensor:
        r"""One mini-batch loss: -mean log p_θ(x) (as ``fit``), or mean log q_θ(x) - log p̃(x), x ~ q_θ
        (as ``fit_reverse_kl``)."""
        s = self.settings
        if s.reverse_kl:
            x, log_q = self.flow.sample_with_log_prob(s.batch_size)
            return (log_q - target_log_prob(s.data, x)).mean()
        batch = self.data[torch.randint(len(self.data), (min(s.batch_size, len(self.data)),))]
        return -self.flow.log_prob(batch).mean()

    def step(self, k: int = 1) -> int:
        r"""Up to ``k`` Adam steps; returns how many were taken. Stops early, setting ``stopped`` and
        ``message``, when the trainer stops (``flowlib.Trainer``: the loss became NaN or inf, and the
        parameters of the last finite step are kept, or it diverged, and those of the best step are)."""
        if self.stopped:
            return 0
        before = len(self.losses)
        with one_thread():  # tiny tensors: a second torch thread only spin-waits (2 vs 64 steps/s, loaded machine)
            try:
                return self.trainer.step(k)
            except TrainingStopped as stop:
                self.trainer.reset_optimizer()  # its moments may hold the NaN or the blow-up
                what = f"diverged (to {stop.value:.3g} nats)" if stop.diverged else f"became {stop.value}"
                self.stopped = True
                self.message = (f"Stopped at step {len(self.losses)}: the loss {what}. The last good model is kept; "
                                f"try a smaller learning rate than {learning_rate_text(self.settings.lr)}, or Reset.")
                return len(self.losses) - before

    def resume(self) -> None:
        r"""Allow training again after a stop (with the kept model, perhaps at a new learning rate)."""
        self.stopped, self.message = False, ""
