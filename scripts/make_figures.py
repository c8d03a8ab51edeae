"""Make the README's figures from flowlib: a RealNVP trained on two moons, its density and its layers.

    python scripts/make_figures.py              # writes docs/flow_density.png and docs/flow_layers.png
    python scripts/make_figures.py --out DIR    # somewhere else (the test does this)

The same calls as in the notebooks (``make_realnvp``, ``fit``, ``plot_density``, ``plot_layers``), on a
fixed seed, one thread; under a minute on a 2-core machine. Prints the held-out NLL it reached.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # a script writing files: no screen needed

import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

from flowlib import fit, make_realnvp, plot_density, plot_layers, plot_samples, toy_data  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BOUNDS = (-3.5, 3.5, -2.5, 2.5)
PNG = {"metadata": {"Software": None}, "dpi": 110}  # no version stamp: a rerun changes the file only if the plot changed


def train(steps: int = 2000):
    """An 8-layer RealNVP fitted to 4000 points of two moons; returns the flow, the data and the held-out NLL."""
    torch.manual_seed(0)
    torch.set_num_threads(1)  # tiny matrices: one thread is as fast, and a busy machine does not stall it
    data, held_out = toy_data("moons", 4000, seed=0), toy_data("moons", 2000, seed=1)
    flow = make_realnvp(2, layers=8, hidden=(64, 64))
    fit(flow, data, steps=steps, batch_size=256, lr=2e-3, progress=False)
    with torch.no_grad():
        nll = float(-flow.log_prob(held_out).mean())
    return flow, data, nll


def density_figure(flow, data, nll: float):
    """Data, the learned density p_X(x) (change of variables through the inverse), and samples x = f_θ(z)."""
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.4))
    plot_samples(data[:2000], ax=axes[0], bounds=BOUNDS, title="data: two moons")
    plot_density(flow.log_prob, bounds=BOUNDS, n=200, ax=axes[1], title=f"RealNVP density (held-out NLL {nll:.2f} nats)")
    with torch.no_grad():
        plot_samples(flow.sample(2000), ax=axes[2], bounds=BOUNDS, title="samples x = f(z), z ~ N(0, I)", color="C1")
    for ax in axes:
        ax.set(xticks=[], yticks=[], aspect="equal")
    fig.tight_layout()
    return fig


def layers_figure(flow):
    """The same samples after every layer: the Gaussian carried to the data, one coupling at a time."""
    with torch.no_grad():
        steps = flow.forward_steps(flow.base.sample(2000))
    titles = ["z ~ N(0, I)"] + [f"after layer {k}" for k in range(1, len(steps) - 1)] + ["x = f(z)"]
    return plot_layers(steps, titles=titles, bounds=BOUNDS, ncols=5)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="folder for the PNGs (default: docs/)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    flow, data, nll = train()
    flow.eval()
    for name, fig in (("flow_density.png", density_figure(flow, data, nll)), ("flow_layers.png", layers_figure(flow))):
        fig.savefig(args.out / name, **PNG)
        plt.close(fig)
        print(f"wrote {args.out / name}")
    print(f"held-out NLL {nll:.3f} nats; {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
