r"""Notebook 05, MAF: what ``notebooks/05_maf.ipynb`` imports, in one line.

``from flowlib.lessons.n05_maf import ...`` re-exports the names below. The lesson's files:

- views.py: its slider views and ``Demo``s;
- maths.py: the maths it uses but does not show;
- check.py: its exercise checkers (students reach them as ``from flowlib import check``).
"""

from .maths import raster_states
from .views import RASTER_SAMPLING, SNAPSHOTS, TRAINING

__all__ = [
    "RASTER_SAMPLING", "SNAPSHOTS", "TRAINING", "raster_states",
]
