r"""Notebook 06, IAF: what ``notebooks/06_iaf.ipynb`` imports, in one line.

``from flowlib.lessons.n06_iaf import ...`` re-exports the names below. The lesson's files:

- views.py: its slider views and ``Demo``s;
- check.py: its exercise checkers (students reach them as ``from flowlib import check``).
"""

from .views import REVERSE_KL, SNAPSHOTS, TARGET_BOUNDS

__all__ = [
    "REVERSE_KL", "SNAPSHOTS", "TARGET_BOUNDS",
]
