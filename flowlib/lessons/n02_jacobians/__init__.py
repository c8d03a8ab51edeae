r"""Notebook 02, Jacobians: what ``notebooks/02_jacobians.ipynb`` imports, in one line.

``from flowlib.lessons.n02_jacobians import ...`` re-exports the names below. The lesson's files:

- views.py: its slider views and ``Demo``s;
- maths.py: the maths it uses but does not show;
- check.py: its exercise checkers (students reach them as ``from flowlib import check``).
"""

from .maths import K, S, example_jacobian, example_map, example_map_inverse, layer_jacobians, make_layers
from .views import LOCAL_AREA, POINTS, TRIANGULAR

__all__ = [
    "LOCAL_AREA", "POINTS", "TRIANGULAR", "K", "S", "example_jacobian", "example_map", "example_map_inverse",
    "layer_jacobians", "make_layers",
]
