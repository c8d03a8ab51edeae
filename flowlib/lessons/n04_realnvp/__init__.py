r"""Notebook 04, RealNVP: what ``notebooks/04_realnvp.ipynb`` imports, in one line.

``from flowlib.lessons.n04_realnvp import ...`` re-exports the names below. The lesson's files:

- views.py: its slider views and ``Demo``s;
- maths.py: the maths it uses but does not show;
- check.py: its exercise checkers (students reach them as ``from flowlib import check``).

The budgets shared with notebook 03 come from ``flowlib.lessons.course``.
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
from .maths import layer_steps, propagation_values, region_areas
from .views import LAYERS, PROPAGATION, VOLUME

__all__ = [
    "BATCH_SIZE", "DIGITS_BATCH", "DIGITS_HIDDEN", "DIGITS_LAYERS", "DIGITS_LR", "DIGITS_STEPS", "TOY_BOUNDS",
    "TOY_HIDDEN", "TOY_LAYERS", "TOY_LR", "TRAIN_STEPS", "LAYERS", "PROPAGATION", "VOLUME", "layer_steps",
    "propagation_values", "region_areas",
]
