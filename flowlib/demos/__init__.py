r"""The notebooks' slider demos: one module per notebook, each slider demo's drawing in one place.

A demo's figure is a ``View`` (``flowlib.demos.view``): built once for the notebook's precomputed
state (trained snapshots, sample batches: never train inside a callback), then updated in place when
a slider moves, so that a redraw paints only what the sliders change. A notebook shows a demo with
``demo.show(*state)`` (an ``ipywidgets.interactive`` whose sliders come from ``demo.sliders()``) and
draws a still picture with ``demo.draw(*state, **slider_values)``; the tests drive the very same view
over each slider's range, without a kernel.

For the tests (``tests/test_sliders_*.py``) and ``benchmarks/redraw.py``:

- ``all_demos()`` finds every ``Demo`` defined at module level in a ``flowlib.demos.*`` module;
- ``Demo.settings()`` lists the slider values worth drawing (each slider's ends and middle, every
  option of a dropdown, the ``special`` settings); ``Demo.exercise()`` moves one view through them
  all as a student would, timing each update and each update plus the PNG that ``show`` displays,
  and with ``compare=True`` checks every image against a freshly built view's;
- ``shown()`` lists the widgets that ``Demo.show`` built in this process (how a test finds, inside a
  notebook's kernel, the sliders to move).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from .._threads import one_thread
from .view import View

__all__ = ["Demo", "DemoError", "Timing", "View", "all_demos", "demo_name", "shown", "slider_values"]

# (demo, widget) for every widget Demo.show built in this process, in order. The widgets live as
# long as the kernel anyway (ipywidgets keeps every open widget), so holding them costs nothing.
_SHOWN: list[tuple[Demo, object]] = []


class DemoError(AssertionError):
    """A demo broke its contract: building or updating its view raised, a redrawn image differs from a
    fresh one, or its sliders are malformed."""


class Timing(NamedTuple):
    """Seconds of one slider move: ``update`` changes the view's artists, ``total`` adds the render to
    PNG (``View.png``), which is what a student waits for."""

    update: float
    total: float


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
            at every move: fine for a quick demo of your own, too slow for the notebooks' figures).
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
    >>> [s["slope"] for s in LINE.settings()]
    [1.0, -2.0, 2.0, 0.0]
    >>> len(LINE.exercise(compare=True))
    4
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
            raise DemoError(f"{demo_name(self)}: building the view raised {error!r}") from error

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

    def settings(self) -> list[dict]:
        r"""The slider settings a test should draw: all sliders at their initial values, then each slider
        at each value of ``slider_values`` (the others at their initial values), then each ``special``
        setting (slider values it leaves out stay at their initial values). No setting twice."""
        sliders = self.sliders()
        initial = {name: widget.value for name, widget in sliders.items()}
        candidates = [initial]
        candidates += [{**initial, name: value} for name, widget in sliders.items() for value in slider_values(widget)]
        for special in self.special:
            unknown = sorted(set(special) - set(sliders))
            if unknown:
                raise DemoError(f"{demo_name(self)}: special setting {special} names {unknown}, "
                                f"expected only slider names {sorted(sliders)}")
            candidates.append({**initial, **special})
        settings, seen = [], set()
        for setting in candidates:
            key = repr(sorted(setting.items()))
            if key not in seen:
                seen.add(key)
                settings.append(setting)
        return settings

    def exercise(self, state: tuple | None = None, repeats: int = 1, compare: bool = False) -> list[Timing]:
        r"""Move one view of ``state`` (default: ``example_state()``) through every setting of
        ``settings()``, ``repeats`` times each, as a student moving the sliders: update, then render to
        PNG as ``show`` does. Returns a ``Timing`` per move. The view is built and rendered once first,
        untimed (that is the widget's first appearance, not a slider move).

        With ``compare=True``, each image must equal, pixel for pixel, that of a view built afresh for
        the same setting: an update that leaves a stale artist behind, or changes the stage without
        ``restage()``, fails. Raises ``DemoError`` naming the demo and the setting.
        """
        import numpy as np

        state = self.example_state() if state is None else state
        settings = self.settings()
        view = self.build(*state)
        self._update(view, settings[0])
        self._png(view, settings[0])
        times = []
        for setting in settings:
            for _ in range(repeats):
                start = time.perf_counter()
                self._update(view, setting)
                updated = time.perf_counter()
                self._png(view, setting)
                times.append(Timing(updated - start, time.perf_counter() - start))
            if compare:
                live = view.rgba().copy()
                fresh = self.build(*state)
                self._update(fresh, setting)
                expected = fresh.rgba()
                if live.shape != expected.shape or not np.array_equal(live, expected):
                    differ = (live != expected).any(-1).sum() if live.shape == expected.shape else "all"
                    raise DemoError(f"{demo_name(self)}: after moving the sliders to {setting}, the image differs "
                                    f"from a fresh view's in {differ} pixels: update() leaves an artist behind "
                                    "or changes the stage without restage()")
                _close(fresh.fig)
        return times

    def _update(self, view: View, setting: dict) -> None:
        try:
            with one_thread():
                view.update(**setting)
        except Exception as error:
            raise DemoError(f"{demo_name(self)}: update(**{setting}) raised {error!r}") from error

    def _png(self, view: View, setting: dict) -> bytes:
        try:
            return view.png()
        except Exception as error:
            raise DemoError(f"{demo_name(self)}: rendering {setting} raised {error!r}") from error


def slider_values(widget) -> list:
    r"""The values of a slider worth drawing: both ends and the middle of a numeric slider (on its step
    grid), every option of a dropdown or selection slider, both states of a checkbox, else its value.

    >>> import ipywidgets
    >>> slider_values(ipywidgets.IntSlider(value=3, min=0, max=8))
    [0, 8, 4]
    >>> slider_values(ipywidgets.Dropdown(options=[("moons", "moons"), ("ring", "ring")]))
    ['moons', 'ring']
    """
    if hasattr(widget, "_options_values"):  # Dropdown, SelectionSlider, RadioButtons, ToggleButtons
        return list(widget._options_values)
    if isinstance(widget.value, bool):
        return [False, True]
    if not all(hasattr(widget, attr) for attr in ("min", "max", "step")):
        return [widget.value]
    low, high, step = widget.min, widget.max, widget.step or 1
    middle = low + round((high - low) / 2 / step) * step
    if isinstance(low, int) and isinstance(step, int):
        middle = int(middle)
    else:  # FloatSlider: snap to the step grid without float noise such as 0.30000000000000004
        middle = round(middle, 12)
    if hasattr(widget, "base"):  # FloatLogSlider: min, max and step are exponents
        low, high, middle = (widget.base ** e for e in (low, high, middle))
    if isinstance(widget.value, tuple):  # range sliders
        return [(low, high), (low, middle), (middle, high)]
    values = []
    for value in (low, high, middle):
        if value not in values:
            values.append(value)
    return values


def all_demos() -> dict[str, Demo]:
    r"""Every ``Demo`` defined at module level in a ``flowlib.demos.*`` module, named ``"module.NAME"``."""
    demos = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for attr, value in vars(module).items():
            if isinstance(value, Demo):
                demos[f"{info.name}.{attr}"] = value
    return demos


def demo_name(demo: Demo) -> str:
    r"""``"module.NAME"`` of a demo defined in a ``flowlib.demos.*`` module, else its draw function's name."""
    for module_name, module in list(sys.modules.items()):
        if module_name.startswith(f"{__name__}.") and module is not None:
            for attr, value in vars(module).items():
                if value is demo:
                    return f"{module_name.removeprefix(__name__ + '.')}.{attr}"
    return getattr(demo.view, "__qualname__", repr(demo.view))


def shown() -> list[tuple[str, Demo, object]]:
    r"""``(name, demo, widget)`` for every widget ``Demo.show`` built in this process, oldest first."""
    return [(demo_name(demo), demo, widget) for demo, widget in _SHOWN]


def _close(fig) -> None:
    import matplotlib.pyplot as plt

    if fig is not None and hasattr(fig, "canvas"):
        plt.close(fig)
