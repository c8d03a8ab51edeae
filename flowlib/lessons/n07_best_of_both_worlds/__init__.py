r"""Notebook 07, the best of both worlds: what ``notebooks/07_best_of_both_worlds.ipynb`` imports, in one line.

``from flowlib.lessons.n07_best_of_both_worlds import ...`` re-exports the names below. The lesson's files:

- views.py: its slider views and ``Demo``s;
- maths.py: the maths it uses but does not show;
- check.py: its exercise checkers (students reach them as ``from flowlib import check``).
"""

from .maths import FIRST_MODE, GAP, MODE_STD, bimodal_data, bimodal_log_prob, gaussian_fits
from .views import DISTILLATION, MODE_SEEKING, SNAPSHOTS

__all__ = [
    "DISTILLATION", "MODE_SEEKING", "SNAPSHOTS", "FIRST_MODE", "GAP", "MODE_STD", "bimodal_data",
    "bimodal_log_prob", "gaussian_fits",
]
