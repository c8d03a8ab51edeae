r"""The notebooks' slider demos: one module per notebook, each slider drawing function in one place.

A notebook shows a demo with ``demo.show(*state)`` (an ``ipywidgets.interactive`` whose sliders come
from ``demo.sliders()``); the tests call the very same ``draw`` over each slider's range, without a
kernel. Drawing functions take the precomputed state first (trained snapshots, sample batches:
never train inside a callback) and the slider values as keywords, and return a Figure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Demo"]


@dataclass(frozen=True)
class Demo:
    r"""A slider demo.

    Attributes:
        draw: ``draw(*state, **slider_values) -> matplotlib Figure``.
        sliders: ``sliders() -> {name: ipywidgets slider}``, new widgets at every call.
        special: slider settings worth testing beyond the ends and the middle (a singular matrix, ...).
        example_state: ``example_state() -> tuple``: a small, quick ``state`` for tests (an untrained
            model of the right shape, a few samples); the notebook passes its real state.
    """

    draw: Callable
    sliders: Callable[[], dict]
    special: tuple[dict, ...] = field(default_factory=tuple)
    example_state: Callable[[], tuple] = tuple

    def show(self, *state):
        """The interactive widget of this demo for ``state``: display it as a cell's last line."""
        import functools

        import ipywidgets
        import matplotlib.pyplot as plt

        def redraw(**values):
            fig = self.draw(*state, **values)
            plt.show()  # renders into the interactive's output area and frees the figure
            return fig

        functools.update_wrapper(redraw, self.draw)
        return ipywidgets.interactive(redraw, **self.sliders())
