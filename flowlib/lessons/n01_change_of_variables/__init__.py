r"""Notebook 01, the change of variables formula: what ``notebooks/01_change_of_variables.ipynb`` imports, in one line.

``from flowlib.lessons.n01_change_of_variables import ...`` re-exports the names below. The lesson's files:

- views.py: its slider views and ``Demo``s;
- maths.py: the maths it uses but does not show;
- check.py: its exercise checkers (students reach them as ``from flowlib import check``).
"""

from .maths import (
    THETA_TRUE,
    Bend,
    base_cdf,
    is_singular,
    linear_density,
    monotone_map,
    monotone_map_inverse,
    monte_carlo_area,
    parallelogram,
    target_icdf,
    target_pdf,
)
from .views import BEND_MAP, FIT_STEPS, LEARNING, LINEAR_MAP, MONOTONE_MAP

__all__ = [
    "BEND_MAP", "FIT_STEPS", "LEARNING", "LINEAR_MAP", "MONOTONE_MAP", "THETA_TRUE", "Bend", "base_cdf",
    "is_singular", "linear_density", "monotone_map", "monotone_map_inverse", "monte_carlo_area",
    "parallelogram", "target_icdf", "target_pdf",
]
