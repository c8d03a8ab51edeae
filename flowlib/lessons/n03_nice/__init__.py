r"""Notebook 03, NICE: what ``notebooks/03_nice.ipynb`` imports, in one line.

``from flowlib.lessons.n03_nice import ...`` re-exports the names below. The lesson's files:

- views.py: its slider views and ``Demo``s;
- check.py: its exercise checkers (students reach them as ``from flowlib import check``).

The budgets shared with notebook 04 come from ``flowlib.lessons.course``.
"""

from ..course import (
    BATCH_SIZE,
    DIGITS_BATCH,
    DIGITS_HIDDEN,
    DIGITS_LAYERS,
    DIGITS_LR,
    DIGITS_STEPS,
    TOY_BOUNDS,
    TOY_HIDDEN,
    TOY_LAYERS,
    TOY_LR,
    TRAIN_STEPS,
)
from .views import MNIST_TEMPERATURE, SNAPSHOT_EVERY, TEMPERATURE, TRAINING

__all__ = [
    "BATCH_SIZE", "DIGITS_BATCH", "DIGITS_HIDDEN", "DIGITS_LAYERS", "DIGITS_LR", "DIGITS_STEPS", "TOY_BOUNDS",
    "TOY_HIDDEN", "TOY_LAYERS", "TOY_LR", "TRAIN_STEPS", "MNIST_TEMPERATURE", "SNAPSHOT_EVERY", "TEMPERATURE",
    "TRAINING",
]
