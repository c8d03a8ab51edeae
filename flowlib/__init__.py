r"""flowlib: a thin normalizing-flow library for the lecture "Normalizing flow" (Generative models).

Direction convention (the slides'): ``forward(z) -> (x, log_det)`` is the generative map f_θ,
z ↦ x; ``inverse(x) -> (z, log_det)`` is f_θ^{-1}, x ↦ z. ``log_det`` is log|det ∂out/∂in| of the
method called, shape (B,). Inputs are (B, D) tensors with the dtype and device of the model's
parameters: flowlib refuses others, with a message naming the conversion (``x.to(...)``); it never
converts silently. A bad argument raises ``FlowlibError`` (both a ValueError and a TypeError) before
any computation; training that breaks raises ``FloatingPointError`` after restoring good parameters.

Importing flowlib defines names and does nothing else: no seeds, no rcParams.
"""

from ._threads import one_thread
from ._validate import FlowlibError, check_int, check_points
from .autoregressive import IAF, MAF
from .conv_coupling import ConvAffineCoupling
from .cost import direction_times, interleaved_seconds, network_passes, record_made_passes
from .datasets import (
    DIGIT_LEVELS,
    MNIST_LEVELS,
    MNIST_SHAPE,
    TARGETS,
    TOYS,
    bits_per_dim,
    digits_data,
    mnist_data,
    mnist_labels,
    target_log_normalizer,
    target_log_prob,
    toy_data,
    toy_entropy,
    toy_log_prob,
)
from .distill import distil, estimate_kl
from .distributions import StandardNormal
from .flow import Flow
from .image_layers import ActNorm, LogitTransform, actnorm_data_init, resnet
from .image_masks import channel_mask, checkerboard_mask
from .made import MADE, made_masks
from .models import count_parameters, make_iaf, make_maf, make_nice, make_realnvp
from .multiscale import FactorOut, make_multiscale_realnvp
from .nets import MLP, MaskedLinear, soft_clamp
from .nice import AdditiveCoupling, Scaling, coupling_mask
from .permutations import Permutation, Reverse
from .plotting import (
                       digit_grid,
                       grid_lines,
                       grid_points,
                       plot_density,
                       plot_digits,
                       plot_direction_times,
                       plot_grid_warp,
                       plot_layers,
                       plot_loss,
                       plot_made_masks,
                       plot_matrix,
                       plot_samples,
)
from .realnvp import AffineCoupling
from .sample_quality import sample_quality, train_digit_classifier
from .snapshots import Snapshot, Snapshots
from .squeeze import Squeeze
from .standardize import FixedAffine, standardized
from .testing import check_layer, image_area, jacobian, randomize, shoelace_area, square_boundary
from .train import Trainer, TrainingStopped, fit, fit_reverse_kl, learning_rate_text

__version__ = "0.1.0"

__all__ = [
    "FlowlibError", "check_points", "check_int", "one_thread", "StandardNormal", "Flow",
    "AdditiveCoupling", "Scaling", "AffineCoupling", "Permutation", "Reverse", "MADE", "MAF", "IAF", "FixedAffine",
    "ConvAffineCoupling", "Squeeze", "FactorOut", "checkerboard_mask", "channel_mask",
    "LogitTransform", "ActNorm", "actnorm_data_init", "resnet", "train_digit_classifier", "sample_quality",
    "MLP", "MaskedLinear", "soft_clamp", "coupling_mask", "made_masks",
    "make_nice", "make_realnvp", "make_maf", "make_iaf", "make_multiscale_realnvp", "count_parameters", "standardized",
    "fit", "fit_reverse_kl", "Trainer", "TrainingStopped", "learning_rate_text",
    "distil", "estimate_kl", "check_layer", "jacobian", "Snapshot", "Snapshots",
    "randomize", "record_made_passes", "network_passes", "interleaved_seconds", "direction_times",
    "shoelace_area", "square_boundary", "image_area",
    "TOYS", "TARGETS", "toy_data", "toy_log_prob", "toy_entropy", "target_log_prob", "target_log_normalizer",
    "DIGIT_LEVELS", "digits_data", "MNIST_LEVELS", "MNIST_SHAPE", "mnist_data", "mnist_labels", "bits_per_dim",
    "grid_points", "plot_density", "plot_samples", "plot_grid_warp", "plot_layers", "plot_digits",
    "plot_loss", "plot_matrix", "grid_lines", "digit_grid", "plot_made_masks", "plot_direction_times",
]
