r"""The slider tests' machinery: finding every ``Demo``, the settings worth drawing, moving a view through
them, and the pixel comparison with a fresh view. Used by ``tests/lessons/test_sliders_headless.py``,
``tests/notebooks/test_sliders_*.py``, ``benchmarks/redraw.py`` and, inside a notebook's kernel, by
``tests/notebooks/notebook_sliders.py`` (which puts
this folder on the kernel's ``sys.path``).

- ``all_demos()`` finds every ``Demo`` defined at module level in a lesson's ``views.py``
  (``flowlib.lessons.nNN_<stem>.views``);
- ``settings(demo)`` lists the slider values worth drawing (each slider's ends and middle, every
  option of a dropdown, the demo's ``special`` settings); ``exercise(demo)`` moves one view through them
  all as a student would, timing each update and each update plus the PNG that ``Demo.show`` displays,
  and with ``compare=True`` checks every image against a freshly built view's;
- ``shown()`` lists the widgets that ``Demo.show`` built in this process.

>>> import ipywidgets
>>> from flowlib.lessons.demo import Demo
>>> def draw(xs, slope=1.0):  # a plain drawing function: an instructor's first draft
...     from matplotlib.figure import Figure
...     fig = Figure(figsize=(2, 2))
...     fig.add_subplot().plot(xs, [slope * x for x in xs])
...     return fig
>>> LINE = Demo(draw, lambda: {"slope": ipywidgets.FloatSlider(value=1.0, min=-2.0, max=2.0, step=0.5, description="slope")},
...             special=({"slope": 0.0},), example_state=lambda: ([0.0, 1.0],))
>>> [s["slope"] for s in settings(LINE)]
[1.0, -2.0, 2.0, 0.0]
>>> len(exercise(LINE, compare=True))
4
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import sys
import time
from typing import NamedTuple

import flowlib.lessons
from flowlib.lessons import demo as demo_module
from flowlib.lessons.demo import Demo, DemoError
from flowlib.lessons.view import View

__all__ = ["Timing", "all_demos", "check_fits", "demo_name", "exercise", "move_each_slider", "settings", "shown", "slider_values"]


class Timing(NamedTuple):
    """Seconds of one slider move: ``update`` changes the view's artists, ``total`` adds the render to
    PNG (``View.png``), which is what a student waits for."""

    update: float
    total: float


def slider_values(widget) -> list:
    r"""The values of a slider worth drawing: both ends and the middle of a numeric slider (on its step
    grid), every option of a dropdown or selection slider, both states of a checkbox, else its value.

    >>> import ipywidgets
    >>> slider_values(ipywidgets.IntSlider(value=3, min=0, max=8))
    [0, 8, 4]
    >>> slider_values(ipywidgets.Dropdown(options=[("moons", "moons"), ("checkerboard", "checkerboard")]))
    ['moons', 'checkerboard']
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


def settings(demo: Demo) -> list[dict]:
    r"""The slider settings a test should draw: all sliders at their initial values, then each slider
    at each value of ``slider_values`` (the others at their initial values), then each ``special``
    setting (slider values it leaves out stay at their initial values). No setting twice."""
    sliders = demo.sliders()
    initial = {name: widget.value for name, widget in sliders.items()}
    candidates = [initial]
    candidates += [{**initial, name: value} for name, widget in sliders.items() for value in slider_values(widget)]
    for special in demo.special:
        unknown = sorted(set(special) - set(sliders))
        if unknown:
            raise DemoError(f"{demo_name(demo)}: special setting {special} names {unknown}, "
                            f"expected only slider names {sorted(sliders)}")
        candidates.append({**initial, **special})
    unique, seen = [], set()
    for setting in candidates:
        key = repr(sorted(setting.items()))
        if key not in seen:
            seen.add(key)
            unique.append(setting)
    return unique


def exercise(demo: Demo, state: tuple | None = None, repeats: int = 1, compare: bool = False) -> list[Timing]:
    r"""Move one view of ``state`` (default: ``demo.example_state()``) through every setting of
    ``settings(demo)``, ``repeats`` times each, as a student moving the sliders: update, then render to
    PNG as ``Demo.show`` does. Returns a ``Timing`` per move. The view is built and rendered once first,
    untimed (that is the widget's first appearance, not a slider move).

    With ``compare=True``, each image must equal, pixel for pixel, that of a view built afresh for the
    same setting: an update that leaves a stale artist behind, or changes the stage without
    ``restage()``, fails. Raises ``DemoError`` naming the demo and the setting.
    """
    import matplotlib.pyplot as plt
    import numpy as np

    state = demo.example_state() if state is None else state
    moves = settings(demo)
    view = demo.build(*state)
    demo._update(view, moves[0])
    _png(demo, view, moves[0])
    times = []
    for setting in moves:
        for _ in range(repeats):
            start = time.perf_counter()
            demo._update(view, setting)
            updated = time.perf_counter()
            _png(demo, view, setting)
            times.append(Timing(updated - start, time.perf_counter() - start))
        if compare:
            live = view.rgba().copy()
            fresh = demo.build(*state)
            demo._update(fresh, setting)
            expected = fresh.rgba()
            if live.shape != expected.shape or not np.array_equal(live, expected):
                differ = (live != expected).any(-1).sum() if live.shape == expected.shape else "all"
                raise DemoError(f"{demo_name(demo)}: after moving the sliders to {setting}, the image differs "
                                f"from a fresh view's in {differ} pixels: update() leaves an artist behind "
                                "or changes the stage without restage()")
            plt.close(fresh.fig)
    return times


def check_fits(name: str, demo: Demo, state: tuple) -> None:
    """``state`` and the sliders fit the demo's view: a View subclass, or a plain drawing function (a first draft)."""
    try:
        if isinstance(demo.view, type) and issubclass(demo.view, View):
            inspect.signature(demo.view).bind(*state)
            inspect.signature(demo.view.update).bind(None, **settings(demo)[0])
        else:  # draw(*state, **slider_values) -> Figure: a new figure at every move, valid if slower
            inspect.signature(demo.view).bind(*state, **settings(demo)[0])
    except TypeError as error:
        raise DemoError(f"{name}: example_state() or the sliders do not fit {demo.view.__name__}: {error}") from error


def move_each_slider(name: str, widget) -> None:
    """Set each slider of ``widget`` (the ``Shown`` that ``Demo.show`` built) to another of its values and
    back: each move must draw a new picture into the widget's image, with no error."""
    for key, control in widget.sliders.items():
        initial = control.value
        other = next((v for v in slider_values(control) if repr(v) != repr(initial)), None)
        if other is None:
            continue
        before = widget.drawn
        control.value = other
        assert not widget.error and widget.drawn == before + 1 and widget.image.value[:8] == b"\x89PNG\r\n\x1a\n", (
            f"{name}: setting {key}={other!r} did not draw a new picture; the redraw raised:\n{widget.error}")
        control.value = initial


def _png(demo: Demo, view: View, setting: dict) -> bytes:
    try:
        return view.png()
    except Exception as error:
        raise DemoError(f"{demo_name(demo)}: rendering {setting} raised {error!r}") from error


def all_demos() -> dict[str, Demo]:
    r"""Every ``Demo`` defined at module level in a lesson's ``views.py``, named ``"nNN_<stem>.NAME"``."""
    demos = {}
    for info in sorted(pkgutil.iter_modules(flowlib.lessons.__path__), key=lambda info: info.name):
        if not info.ispkg:
            continue  # the machinery (demo, view, grading, course), not a lesson
        name = f"flowlib.lessons.{info.name}.views"
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
            continue  # a lesson without views
        for attr, value in vars(module).items():
            if isinstance(value, Demo):
                demos[f"{info.name}.{attr}"] = value
    return demos


def demo_name(demo: Demo) -> str:
    r"""``"nNN_<stem>.NAME"`` of a demo defined in a lesson's ``views.py``, else its view's name."""
    for module_name, module in list(sys.modules.items()):
        if module_name.startswith("flowlib.lessons.") and module_name.endswith(".views") and module is not None:
            for attr, value in vars(module).items():
                if value is demo:
                    return f"{module_name.removeprefix('flowlib.lessons.').removesuffix('.views')}.{attr}"
    return getattr(demo.view, "__qualname__", repr(demo.view))


def shown() -> list[tuple[str, Demo, object]]:
    r"""``(name, demo, widget)`` for every widget ``Demo.show`` built in this process, oldest first."""
    return [(demo_name(demo), demo, widget) for demo, widget in demo_module._SHOWN]
