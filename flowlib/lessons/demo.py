r"""The slider demo, ``Demo``: each notebook's demos live in its lesson's ``views.py`` (``flowlib.lessons.nNN_<stem>``).

A demo's figure is a ``View`` (``flowlib.lessons.view``): built once for the notebook's precomputed
state (trained snapshots, sample batches: never train inside a callback), then updated in place when
a slider moves, so that a redraw paints only what the sliders change. A notebook shows a demo with
``demo.show(*state)`` (an ``ipywidgets.interactive`` whose sliders come from ``demo.sliders()``) and
draws a still picture with ``demo.draw(*state, **slider_values)``. A plain drawing function
``draw(*state, **slider_values) -> Figure`` is a valid demo too: simple to write, slower to redraw.

The tests drive every ``Demo`` over its sliders' ranges (``tests/demo_harness.py``, which also finds
the widgets ``show`` built, in ``_SHOWN``); docs/add-a-slider-demo.md shows how to add one.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field

from .._threads import one_thread
from .view import View

__all__ = ["Demo", "DemoError", "View"]

# (demo, widget) for every widget Demo.show built in this process, in order: how a test finds, inside a
# notebook's kernel, the sliders to move. The widgets live as long as the kernel anyway (ipywidgets
# keeps every open widget), so holding them costs nothing.
_SHOWN: list[tuple[Demo, object]] = []


class DemoError(AssertionError):
    """A demo broke its contract: building or updating its view raised, a redrawn image differs from a
    fresh one, or its sliders are malformed."""


class _Redrawn(View):
    r"""The view of a plain drawing function ``draw(*state, **values) -> Figure``: a new figure at every
    update, rendered in full (no stage to keep). Simple to write in a notebook, and slow."""

    def __init__(self, draw: Callable, *state):
        self._draw, self._state = draw, state

    def update(self, **values) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig = self._draw(*self._state, **values)
        _close(fig)  # out of pyplot: the inline backend must not show it again at the end of the cell
        if not isinstance(fig, Figure):
            raise DemoError(f"returned {type(fig).__name__}, expected a matplotlib Figure")
        FigureCanvasAgg(fig)  # closing left it a bare FigureCanvasBase, which cannot blit
        self.fig = fig
        self.restage()


@dataclass(frozen=True)
class Demo:
    r"""A slider demo.

    Attributes:
        view: a ``View`` subclass, ``view(*state)`` building the figure and ``update(**slider_values)``
            changing it; or a plain function ``draw(*state, **slider_values) -> Figure`` (a new figure
            at every move: fine for a first draft, too slow for figures with many panels).
        sliders: ``sliders() -> {name: ipywidgets slider}``, new widgets at every call.
        special: slider settings worth testing beyond the ends and the middle (a singular matrix, ...).
        example_state: ``example_state() -> tuple``: a small, quick ``state`` for tests (an untrained
            model of the right shape, a few samples); the notebook passes its real state.

    Example (the view would normally live in the notebook's demo module):

    >>> import ipywidgets
    >>> class Line(View):
    ...     def __init__(self, xs):
    ...         self.fig = self.figure(figsize=(2, 2))
    ...         ax = self.fig.add_subplot()
    ...         ax.set(xlim=(0, 1), ylim=(-2, 2))
    ...         self.xs, self.line = xs, self.dynamic(ax.plot([], [])[0])
    ...     def update(self, slope=1.0):
    ...         self.line.set_data(self.xs, [slope * x for x in self.xs])
    >>> LINE = Demo(Line,
    ...             lambda: {"slope": ipywidgets.FloatSlider(value=1.0, min=-2.0, max=2.0, step=0.5, description="slope")},
    ...             special=({"slope": 0.0},), example_state=lambda: ([0.0, 1.0],))
    >>> LINE.draw([0.0, 1.0], slope=0.5).axes[0].lines[0].get_ydata()
    [0.0, 0.5]
    """

    view: type[View] | Callable
    sliders: Callable[[], dict]
    special: tuple[dict, ...] = field(default_factory=tuple)
    example_state: Callable[[], tuple] = tuple

    def build(self, *state) -> View:
        r"""A new view of ``state``, not yet updated; ``DemoError`` naming the demo if building it raises."""
        try:
            if isinstance(self.view, type) and issubclass(self.view, View):
                return self.view(*state)
            return _Redrawn(self.view, *state)
        except DemoError:
            raise
        except Exception as error:
            raise DemoError(f"{_name(self.view)}: building the view raised {error!r}") from error

    def draw(self, *state, **values):
        r"""A still Figure of ``state`` at these slider values (the others at their defaults): display it,
        or make it a cell's last line."""
        view = self.build(*state)
        self._update(view, values)
        return view.still()

    def show(self, *state):
        """The interactive widget of this demo for ``state``: display it as a cell's last line."""
        import ipywidgets
        from IPython.display import Image, display

        view = self.build(*state)

        def redraw(**values):
            with one_thread():  # tiny tensors; a busy machine's second torch thread only waits (flowlib/_threads.py)
                view.update(**values)
            image = Image(data=view.png(), format="png")
            display(image)  # into the interactive's output area
            return image

        sliders = self.sliders()
        redraw.__name__ = redraw.__qualname__ = getattr(self.view, "__name__", "redraw")
        redraw.__doc__ = self.view.__doc__
        # interactive() reads the signature to match widgets to arguments: show it the sliders only.
        redraw.__signature__ = inspect.Signature(
            [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD) for name in sliders])
        widget = ipywidgets.interactive(redraw, **sliders)
        _SHOWN.append((self, widget))
        return widget

    def _update(self, view: View, setting: dict) -> None:
        try:
            with one_thread():
                view.update(**setting)
        except Exception as error:
            raise DemoError(f"{_name(self.view)}: update(**{setting}) raised {error!r}") from error


def _name(view) -> str:
    return getattr(view, "__qualname__", repr(view))


def _close(fig) -> None:
    import matplotlib.pyplot as plt

    if fig is not None and hasattr(fig, "canvas"):
        plt.close(fig)
