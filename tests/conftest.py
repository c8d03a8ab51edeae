"""Shared test setup: a screenless matplotlib backend, the ``slow`` marker, and tidy figures.

Notebooks are unaffected: nbval runs them in their own kernels, with their own backend.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # before pyplot is imported anywhere in the test process

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402


def pytest_configure(config):
    # Slow tests still run in the default `pytest` run; `-m "not slow"` skips them when iterating.
    config.addinivalue_line("markers", "slow: a test that trains a model for tens of seconds (runs by default)")


@pytest.fixture(autouse=True)
def _close_figures():
    """Close every figure a test leaves open, so that figures do not pile up across tests."""
    yield
    plt.close("all")
