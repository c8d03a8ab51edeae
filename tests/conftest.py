"""Shared test setup: a screenless matplotlib backend and tidy figures (the ``slow`` marker: pyproject.toml).

Notebooks are unaffected: nbval runs them in their own kernels, with their own backend.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # before pyplot is imported anywhere in the test process

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    """Close every figure a test leaves open, so that figures do not pile up across tests."""
    yield
    plt.close("all")
