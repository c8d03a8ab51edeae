r"""Notebook 04b's slider demo: samples of each MNIST model at a temperature, read by the digit classifier.

- ``temperature_samples(models, classifier, temperatures)``: the demo's state, computed once in the notebook:
  for each model and each temperature T, the same ``n`` base points ε ~ N(0, I), scaled to z = T ε and pushed
  through f_θ, with the class the classifier reads and its probability.
- ``TEMPERATURE`` (``TemperatureView``): a Dropdown picks the model, a slider T; a 4x4 grid of its samples, each
  with the class read and max_y p(y | x), green when at least ``CONFIDENT`` (the notebook's "confidently").
"""

from __future__ import annotations

import ipywidgets
import torch

from ...mnist_models import MNIST_DIM, MNIST_MODELS
from ...plotting import digit_grid
from ...sample_quality import CONFIDENT
from ..demo import Demo
from ..view import View

__all__ = ["TEMPERATURES", "temperature_samples", "TemperatureView", "TEMPERATURE"]

TEMPERATURES = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)  # the slider's stops: each one's samples are drawn beforehand
GRID = 4  # a GRID x GRID grid of samples


@torch.no_grad()
def temperature_samples(models: dict, classifier, temperatures=TEMPERATURES, n: int = GRID * GRID, seed: int = 0):
    r"""``{name: {T: (x (n, D), class (n,), p (n,))}}``: x = f_θ(T ε) for the same ε at every T (seed ``seed``),
    the class argmax_y p(y | x) and its probability p = max_y p(y | x); on the CPU, as plain tensors."""
    state = {}
    for name, model in models.items():
        state[name] = {}
        for t in temperatures:
            torch.manual_seed(seed)
            x = model.sample(n, temperature=t)
            p = classifier(x).softmax(-1).max(-1)
            state[name][float(t)] = (x.cpu(), p.indices.cpu(), p.values.cpu())
    return state


class TemperatureView(View):
    r"""The samples of one model at one temperature, each labelled with the class the classifier reads.

    State: ``samples`` as made by ``temperature_samples``. The sliders: ``model`` (a name) and ``T`` (the
    nearest temperature drawn beforehand is shown). The labels are green when p ≥ ``CONFIDENT``, red when not.
    """

    def __init__(self, samples: dict):
        self.samples = samples
        first = next(iter(next(iter(samples.values())).values()))[0]
        self.side = int(round(first.shape[1] ** 0.5))
        self.fig = self.figure(figsize=(4.6, 5.0))
        ax = self.fig.add_axes((0.02, 0.02, 0.96, 0.86))
        # Nothing is dynamic: each (model, T) is one picture, rendered on its first visit and kept (restage's key),
        # since its 17 texts cost more to paint than the sliders' 100 ms allow on a busy machine.
        self.image = ax.imshow(digit_grid(first, GRID), cmap="gray", vmin=0, vmax=1)
        ax.set(xticks=[], yticks=[])
        step = self.side + 1  # one white pixel between digits (digit_grid)
        # digit_grid fills column by column: digit k sits at row k % GRID, column k // GRID.
        self.labels = [ax.text(k // GRID * step + 1, k % GRID * step + 1, "", va="top", ha="left", fontsize=8,
                               fontweight="bold", bbox=dict(facecolor="white", alpha=0.8, pad=1, edgecolor="none"))
                       for k in range(GRID * GRID)]
        self.title = self.fig.text(0.5, 0.97, " ", ha="center", va="top", fontsize=10)

    def update(self, model=MNIST_MODELS[-1], T=1.0):
        temperatures = self.samples[model]
        t = min(temperatures, key=lambda s: abs(s - T))
        x, cls, p = temperatures[t]
        self.image.set_data(digit_grid(x, GRID))
        for label, c, q in zip(self.labels, cls.tolist(), p.tolist()):
            label.set_text(f"{c} {q:.2f}")
            label.set_color("tab:green" if q >= CONFIDENT else "tab:red")
        confident = int((p >= CONFIDENT).sum())
        self.title.set_text(f"{model}, T = {t:.1f}\n{confident} of {len(p)} read confidently (p ≥ {CONFIDENT})")
        self.restage(key=(model, t))


def temperature_sliders():  # new widgets at every call
    return {"model": ipywidgets.Dropdown(options=list(MNIST_MODELS), value=MNIST_MODELS[-1], description="model"),
            "T": ipywidgets.FloatSlider(value=1.0, min=min(TEMPERATURES), max=max(TEMPERATURES), step=0.1,
                                        description="T", readout_format=".1f")}


def temperature_example():  # small and quick: random "digits", a classifier's reading of them made up
    g = torch.Generator().manual_seed(0)
    state = {name: {t: (torch.rand(GRID * GRID, MNIST_DIM, generator=g), torch.randint(0, 10, (GRID * GRID,), generator=g),
                        torch.rand(GRID * GRID, generator=g))
                    for t in TEMPERATURES}
             for name in MNIST_MODELS}
    return (state,)


TEMPERATURE = Demo(TemperatureView, temperature_sliders, special=({"model": "NICE", "T": 0.5},),
                   example_state=temperature_example)
