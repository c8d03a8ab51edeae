r"""Notebook 08, the flow playground: what ``notebooks/08_playground.ipynb`` imports, in one line.

``from flowlib.lessons.n08_playground import ...`` re-exports the names below. The lesson's files:

- views.py: its slider views and ``Demo``s;
- session.py: the training session behind the widgets (no widgets: testable without a kernel);
- check.py: its exercise's checker (``flowlib.check.entropy_estimate``).
"""

from .session import Session
from .views import Playground

__all__ = [
    "Playground", "Session",
]
