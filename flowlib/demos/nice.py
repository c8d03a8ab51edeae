r"""Notebook 03 (NICE): training snapshots, pixel standardization, and the notebook's slider demos.

Slides "NICE - Additive coupling layers". Notebook 04 (RealNVP) reuses ``FixedAffine``,
``standardized`` and the training budgets (``TRAIN_STEPS``, ``TOY_*``, ``DIGITS_*``) so that its
NICE and RealNVP runs match this one.

- ``FixedAffine(loc, scale)``: a flow layer with no parameters, x = loc + scale ⊙ z, and
  ``standardized(flow, data)``, which appends it so that the flow learns standardized data while
  ``log_prob`` and ``sample`` stay in the data's own units (the digits' pixels).
- ``Snapshots``: a ``fit`` callback that records, every ``every`` steps, the model density on a
  grid and samples of a fixed latent batch; nothing is retrained when a slider moves.
- ``TRAINING``: slider over those snapshots (density, samples over the data, the loss so far).
- ``TEMPERATURE`` (``TemperatureView``): slider T for digits x = f_θ(T z) with one cached batch
  z ~ N(0, I), so that z ~ N(0, T² I); the same z at every T, so the slider shows each digit change,
  not new digits.
"""

from __future__ import annotations

import ipywidgets
import numpy as np
import torch
from torch import nn

from .._validate import check_points
from ..flow import Flow
from ..models import make_nice
from ..plotting import digit_grid, digits_figsize, grid_points, plot_digits, sparse_ticks
from . import Demo, View

__all__ = ["TRAIN_STEPS", "TOY_LAYERS", "TOY_HIDDEN", "TOY_LR", "SNAPSHOT_EVERY", "BATCH_SIZE", "TOY_BOUNDS",
           "DIGITS_LAYERS", "DIGITS_HIDDEN", "DIGITS_STEPS", "DIGITS_BATCH", "DIGITS_LR",
           "FixedAffine", "standardized", "Snapshots", "TrainingView", "TRAINING", "TemperatureView", "TEMPERATURE"]

TRAIN_STEPS = 1500  # the 2-D toys' training budget (notebooks 03 and 04): TRAINING's slider runs over it
TOY_LAYERS, TOY_HIDDEN, TOY_LR = 4, (64, 64), 3e-3  # the 2-D toys' NICE and RealNVP (couplings, widths)
SNAPSHOT_EVERY = 50
BATCH_SIZE = 256
TOY_BOUNDS = (-4.0, 4.0, -4.0, 4.0)  # where the 2-D toys live: the density heat maps' box
# The 8x8 digits' budget (notebooks 03 and 04, NICE and RealNVP alike): small, but each model reaches
# its held-out optimum about there; larger networks or longer runs overfit the 1500 training images.
DIGITS_LAYERS, DIGITS_HIDDEN, DIGITS_STEPS, DIGITS_BATCH, DIGITS_LR = 4, (64, 64), 400, 128, 1e-3


class FixedAffine(nn.Module):
    r"""A flow layer without parameters: a fixed elementwise affine map.

    Forward (z ↦ x): x = loc + scale ⊙ z,       log|det ∂x/∂z| = Σ_i log scale_i.
    Inverse (x ↦ z): z = (x - loc) / scale,     log|det ∂z/∂x| = -Σ_i log scale_i.

    As the last layer of a flow (next to x) it standardizes the data the rest of the flow sees, while
    ``log_prob`` keeps the data's own units: the log-det term is the change of variables of the
    standardization. ``loc`` and ``scale`` are buffers (saved, moved by ``.to``), not parameters.

    Args:
        loc: shape (D,).
        scale: shape (D,), all entries > 0.

    >>> layer = FixedAffine(torch.tensor([1.0, -1.0]), torch.tensor([2.0, 0.5]))
    >>> layer(torch.tensor([[1.0, 2.0]]))
    (tensor([[3., 0.]]), tensor([0.]))
    """

    def __init__(self, loc, scale):
        super().__init__()
        loc, scale = torch.as_tensor(loc), torch.as_tensor(scale)
        if not (loc.is_floating_point() and scale.is_floating_point()):
            loc, scale = loc.float(), scale.float()  # integers (a pixel mean given as ints) become float32
        scale = scale.to(loc.dtype)
        if loc.dim() != 1 or len(loc) == 0 or scale.shape != loc.shape:
            raise ValueError("FixedAffine: loc and scale must both have shape (D,) with D >= 1, "
                             f"got {tuple(loc.shape)} and {tuple(scale.shape)}")
        if not bool(torch.isfinite(loc).all() and torch.isfinite(scale).all() and (scale > 0).all()):
            raise ValueError("FixedAffine: loc must be finite and scale finite and > 0 in every coordinate "
                             f"(smallest scale {float(scale.min()):.3g})")
        self.dim = len(loc)
        self.register_buffer("loc", loc.clone())
        self.register_buffer("scale", scale.clone())

    def forward(self, z: torch.Tensor):
        check_points(z, self.dim, "FixedAffine.forward", "z")
        return self.loc + self.scale * z, self.scale.log().sum().expand(z.shape[0])

    def inverse(self, x: torch.Tensor):
        check_points(x, self.dim, "FixedAffine.inverse", "x")
        return (x - self.loc) / self.scale, -self.scale.log().sum().expand(x.shape[0])

    def jacobian_sparsity(self) -> torch.Tensor:
        return torch.eye(self.dim, dtype=torch.bool, device=self.loc.device)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


def standardized(flow: Flow, data: torch.Tensor, min_std: float = 0.0) -> Flow:
    r"""``flow`` followed by ``FixedAffine(mean, std)`` of ``data`` (N, D): a new ``Flow`` sharing ``flow``'s layers.

    The flow's own layers then see data with mean 0 and standard deviation 1 in every coordinate, as
    its base N(0, I) does; ``log_prob(x)`` is still the density of x itself:
    log p(x) = log p'((x - mean) / std) - Σ_i log std_i.
    ``min_std`` floors each std (MNIST's blank border pixels would otherwise get std ≈ 0.001, and a
    held-out digit with ink there a z in the hundreds).
    """
    check_points(data, flow.dim, "standardized", "data")
    if len(data) < 2:
        raise ValueError(f"standardized: need at least 2 rows of data to estimate a standard deviation, got {len(data)}")
    mean, std = data.mean(0), data.std(0).clamp_min(min_std)
    return Flow(flow.base, [*flow.layers, FixedAffine(mean.cpu(), std.cpu()).to(data.device)])


class Snapshots:
    r"""A ``fit`` callback: the flow's density on a grid and its samples, recorded while it trains.

    ``Snapshots(flow, z, every=SNAPSHOT_EVERY, bounds=TOY_BOUNDS, n=60)`` records the untrained flow
    at once (step 0), then, passed as ``fit(..., callback=snapshots)``, after every ``every``-th step.
    The samples are x = f_θ(z) of one fixed latent batch ``z`` (B, 2), so no random numbers are drawn
    (training is the same with or without the recorder) and a point can be followed across steps.

    ``snapshots.snapshots`` is a list of ``(step, density (n, n) array, samples (B, 2) array)``.
    """

    def __init__(self, flow: Flow, z: torch.Tensor, every: int = SNAPSHOT_EVERY, bounds=TOY_BOUNDS, n: int = 60):
        check_points(z, 2, "Snapshots", "z")
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"Snapshots: every must be a positive int, got {every!r}")
        self.z, self.every, self.bounds, self.n = z, every, tuple(float(b) for b in bounds), n
        self.snapshots: list[tuple[int, np.ndarray, np.ndarray]] = []
        self.record(0, flow)

    @torch.no_grad()
    def record(self, step: int, flow: Flow) -> None:
        """Store the snapshot of ``flow`` after ``step`` training steps."""
        points, _, _ = grid_points(self.bounds, self.n, dtype=self.z.dtype, device=self.z.device)
        density = flow.log_prob(points).exp().reshape(self.n, self.n).cpu().numpy()
        samples = flow(self.z)[0].cpu().numpy()
        self.snapshots.append((step, density, samples))

    def __call__(self, step: int, flow: Flow) -> None:
        done = step + 1  # fit calls back after step ``step`` (counted from 0) is done
        if done % self.every == 0:
            self.record(done, flow)


class TrainingView(View):
    r"""A flow during training, after ``step`` steps: density, samples over the data, and the loss.

    State: ``snapshots`` (``Snapshots.snapshots`` or any list of ``(step, density (n, n), samples (B, 2))``
    over ``TOY_BOUNDS``), ``data`` (N, 2), ``losses`` (the list ``fit`` returns). The snapshot nearest
    to ``step`` is drawn.
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
        self.title = self.dynamic(axes[0].title)
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
        self.title.set_text(f"density p_θ(x) after {done} steps")
        self.samples.set_offsets(samples)
        self.progress.set_data(np.arange(1, done + 1), self.losses[:done])
        self.marker.set_xdata([done, done])


def _training_sliders():
    return {"step": ipywidgets.IntSlider(value=TRAIN_STEPS, min=0, max=TRAIN_STEPS, step=SNAPSHOT_EVERY, description="step")}


def _training_example():
    g = torch.Generator().manual_seed(0)
    flow = make_nice(2, layers=2, hidden=(8,))
    snapshots = Snapshots(flow, torch.randn(300, 2, generator=g), every=SNAPSHOT_EVERY)
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
