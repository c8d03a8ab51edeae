r"""Notebook 04b, RealNVP on images: what ``notebooks/04b_realnvp_on_images.ipynb`` imports, in one line.

``from flowlib.lessons.n04b_realnvp_on_images import ...`` re-exports the names below. The lesson's files:

- views.py: its slider demo, ``TEMPERATURE`` (each model's samples at a temperature T, read by the digit
  classifier), and ``temperature_samples``, the demo's state;
- maths.py: what it uses but does not show (the layer tree of a multi-scale flow, the sample-quality table);
- check.py: its exercise checker, the squeeze (students reach it as ``from flowlib import check``).

The library holds the layers (``LogitTransform``, ``ActNorm``, ``Squeeze``, ``FactorOut``, ...), the MNIST models
and weights (``flowlib.mnist_models``) and the sample-quality measure (``flowlib.sample_quality``).
"""

from .maths import layer_tree, quality_table
from .views import TEMPERATURE, temperature_samples

__all__ = ["layer_tree", "quality_table", "TEMPERATURE", "temperature_samples"]
