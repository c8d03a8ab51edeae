r"""Notebook 03 (NICE): its slider demos.

Slides "NICE - Additive coupling layers". The notebook trains with ``flowlib.Snapshots`` (a ``fit``
callback recording the density on a grid and the samples of a fixed latent batch), with the budgets of
``flowlib.lessons.course`` (shared with notebook 04), and standardizes the digits with ``flowlib.standardized``.

- ``TRAINING`` (``TrainingView``): slider over those snapshots (density, samples over the data, the loss so far).
- ``TEMPERATURE`` (``TemperatureView``): slider T for digits x = f_θ(T z) with one cached batch
  z ~ N(0, I), so that z ~ N(0, T² I); the same z at every T, so the slider shows each digit change,
  not new digits.
"""

from __future__ import annotations

import ipywidgets
import numpy as np
import torch

from ...flow import Flow
from ...models import make_nice
from ...plotting import digit_grid, digits_figsize, plot_digits, sparse_ticks
from ...snapshots import Snapshots
from ...standardize import standardized
from ..course import TOY_BOUNDS, TRAIN_STEPS
from ..demo import Demo
from ..view import View, padded

__all__ = ["SNAPSHOT_EVERY", "TrainingView", "TRAINING", "TemperatureView", "TEMPERATURE", "MNIST_TEMPERATURE"]

SNAPSHOT_EVERY = 50  # TRAINING's slider runs over snapshots every 50 steps of flowlib.lessons.course.TRAIN_STEPS


class TrainingView(View):
    r"""A flow during training, after ``step`` steps: density, samples over the data, and the loss.

    State: ``snapshots`` (``flowlib.Snapshots(..., bounds=TOY_BOUNDS).snapshots``, or any list of
    ``(step, density (n, n) over TOY_BOUNDS, samples (B, 2))``), ``data`` (N, 2), ``losses`` (the list
    ``fit`` returns). The snapshot nearest to ``step`` is drawn.
    """

    def __init__(self, snapshots, data, losses):
        if not len(snapshots):
            raise ValueError("TrainingView: expected at least one snapshot (step, density, samples), got none")
        self.snapshots = snapshots
        self.steps = np.array([s for s, _, _ in snapshots])
        bounds = TOY_BOUNDS
        data = torch.as_tensor(data).detach().cpu().numpy()[:2000]
        losses = np.asarray(losses, dtype=float)
        self.losses = losses
        self.fig = fig = self.figure(figsize=(11, 3.5))
        axes = fig.subplots(1, 3)
        density = snapshots[0][1]
        self.image = self.dynamic(axes[0].imshow(density, origin="lower", extent=bounds, cmap="viridis", aspect="equal"))
        axes[0].set_title(" ", fontsize=9)
        self.last = max(done for done, _, _ in snapshots)
        self.title = self.numbers(axes[0].title, "density p_θ(x) after {done} steps", done=padded(0, self.last))
        axes[1].scatter(data[:, 0], data[:, 1], s=2, color="0.75", linewidths=0, label="data")
        self.samples = self.dynamic(axes[1].scatter(*snapshots[0][2][:, :2].T, s=2, color="C1", linewidths=0,
                                                    label="x = f_θ(z)"))
        axes[1].set(xlim=bounds[:2], ylim=bounds[2:], aspect="equal", title="samples (one fixed z batch)")
        axes[1].legend(loc="upper right", fontsize=7, markerscale=3)
        last = max(len(losses), int(self.steps.max()), 1)
        if len(losses):
            axes[2].plot(np.arange(1, len(losses) + 1), losses, lw=0.6, color="0.6")
            axes[2].set_ylim(np.quantile(losses, 0.005) - 0.1, np.quantile(losses, 0.995) + 0.1)
        self.progress = self.dynamic(axes[2].plot([], [], lw=0.8, color="C0")[0])
        self.marker = self.dynamic(axes[2].axvline(0, color="C3"))
        axes[2].set(xlabel="step", ylabel="loss (nats)", title="negative log-likelihood of a batch",
                    xlim=(-0.02 * last, 1.02 * last))  # the margins autoscaling would give
        for ax in axes:
            ax.title.set_fontsize(9)
        fig.subplots_adjust(left=0.04, right=0.99, bottom=0.14, top=0.91, wspace=0.25)
        sparse_ticks(fig)

    def update(self, step: int = TRAIN_STEPS) -> None:
        k = int(np.abs(self.steps - step).argmin())
        done, density, samples = self.snapshots[k]
        self.image.set_data(density)
        self.image.set_clim(density.min(), density.max())  # each snapshot on its own colour scale
        self.title.set(done=padded(done, self.last))
        self.samples.set_offsets(samples)
        self.progress.set_data(np.arange(1, done + 1), self.losses[:done])
        self.marker.set_xdata([done, done])


def _training_sliders():
    return {"step": ipywidgets.IntSlider(value=TRAIN_STEPS, min=0, max=TRAIN_STEPS, step=SNAPSHOT_EVERY, description="step")}


def _training_example():
    g = torch.Generator().manual_seed(0)
    flow = make_nice(2, layers=2, hidden=(8,))
    snapshots = Snapshots(flow, torch.randn(300, 2, generator=g), every=SNAPSHOT_EVERY, bounds=TOY_BOUNDS)
    for done in range(SNAPSHOT_EVERY, TRAIN_STEPS + 1, SNAPSHOT_EVERY):
        snapshots.record(done, flow)
    return snapshots.snapshots, torch.randn(500, 2, generator=g), torch.linspace(3.5, 2.5, TRAIN_STEPS).tolist()


TRAINING = Demo(TrainingView, _training_sliders, special=({"step": SNAPSHOT_EVERY},), example_state=_training_example)


class TemperatureView(View):
    r"""Digits x = f_θ(T z) for a cached batch ``z`` ~ N(0, I) (B, 64) or (B, 784): samples of z ~ N(0, T² I).

    T = 1 samples the model; T < 1 draws from the centre of p_Z (smoother, more typical digits, less
    variety); T = 0 maps every z to f_θ(0). State: ``flow`` (a ``Flow`` on 8x8 or 28x28 images) and ``z``; each
    move runs the flow forward once on the B latents (no training), as ``Flow.sample(temperature=T)`` does.
    """

    def __init__(self, flow: Flow, z: torch.Tensor):
        self.flow, self.z = flow, z
        self.nrow = int(np.sqrt(len(z))) or 1
        self.fig = self.figure(figsize=digits_figsize(len(z), self.nrow, int(round(z.shape[-1] ** 0.5))))  # as plot_digits
        ax = self.fig.add_subplot()
        with torch.no_grad():
            plot_digits(flow(z)[0], self.nrow, ax=ax)  # flow checks z's shape
        self.image = self.dynamic(ax.images[-1])
        for spine in ax.spines.values():  # the frame over the image's edges, as before
            self.dynamic(spine)
        ax.set_title(" ", fontsize=9)
        self.title = self.dynamic(ax.title)

    @torch.no_grad()
    def update(self, temperature: float = 1.0) -> None:
        t = float(temperature)
        self.image.set_data(digit_grid(self.flow(t * self.z)[0], self.nrow))
        self.title.set_text(f"x = f_θ(T z), T = {t:.2f}")


def _temperature_sliders():
    return {"temperature": ipywidgets.FloatSlider(value=1.0, min=0.0, max=1.5, step=0.05, description="T")}


def _temperature_example():
    flow = standardized(make_nice(64, layers=2, hidden=(8,)), torch.rand(50, 64, generator=torch.Generator().manual_seed(0)))
    return flow, torch.randn(64, 64, generator=torch.Generator().manual_seed(1))


TEMPERATURE = Demo(TemperatureView, _temperature_sliders, special=({"temperature": 0.7},), example_state=_temperature_example)


# Notebook 03's temperature slider again, on 28x28 MNIST digits (the shipped NICE, flowlib.mnist_models).
MNIST_PIXELS = 28 * 28


def _mnist_temperature_example():
    data = torch.rand(50, MNIST_PIXELS, generator=torch.Generator().manual_seed(0))
    flow = standardized(make_nice(MNIST_PIXELS, layers=2, hidden=(8,)), data)
    return flow, torch.randn(16, MNIST_PIXELS, generator=torch.Generator().manual_seed(1))


MNIST_TEMPERATURE = Demo(TemperatureView, _temperature_sliders, special=({"temperature": 0.7},),
                         example_state=_mnist_temperature_example)
