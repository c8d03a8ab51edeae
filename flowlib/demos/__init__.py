r"""The notebooks' slider demos: one module per notebook, each slider drawing function in one place.

A notebook shows a demo with ``demo.show(*state)`` (an ``ipywidgets.interactive`` whose sliders come
from ``demo.sliders()``); the tests call the very same ``draw`` over each slider's range, without a
kernel. Drawing functions take the precomputed state first (trained snapshots, sample batches:
never train inside a callback) and the slider values as keywords, and return a Figure.

For the tests (``tests/test_sliders_*.py``) and ``benchmarks/redraw.py``:

- ``all_demos()`` finds every ``Demo`` defined at module level in a ``flowlib.demos.*`` module;
- ``Demo.settings()`` lists the slider values worth drawing (each slider's ends and middle, every
  option of a dropdown, the ``special`` settings); ``Demo.exercise()`` draws them all and times each
  draw, and draw plus the render to PNG that ``Demo.show`` displays (``render_png``): matplotlib is
  lazy, ``draw`` only builds the artists and the render is most of what a student waits for;
- ``shown()`` lists the widgets that ``Demo.show`` built in this process (how a test finds, inside a
  notebook's kernel, the sliders to move).
"""

from __future__ import annotations

import importlib
import inspect
import io
import pkgutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

__all__ = ["Demo", "DemoError", "Timing", "all_demos", "demo_name", "render_png", "shown", "slider_values"]

# (demo, widget) for every widget Demo.show built in this process, in order. The widgets live as
# long as the kernel anyway (ipywidgets keeps every open widget), so holding them costs nothing.
_SHOWN: list[tuple[Demo, object]] = []


class DemoError(AssertionError):
    """A demo broke its contract: ``draw`` raised or returned no Figure, or its sliders are malformed."""


class Timing(NamedTuple):
    """Seconds of one redraw: ``draw`` builds the artists, ``total`` adds the render to PNG (``render_png``)."""

    draw: float
    total: float


def render_png(fig) -> bytes:
    r"""The PNG that ``Demo.show`` displays for ``fig``: one render at the figure's own size and dpi.

    Not ``plt.show()``: the inline backend saves with ``bbox_inches="tight"``, which lays the figure
    out and draws its text twice (once to find the tight box, once to paint), about 40% of a redraw
    (jacobians.LOCAL_AREA: 676 ms tight, 427 ms not, on the 2-core machine). The demos give their
    figures fixed margins (``subplots_adjust``) instead. zlib's fastest level: encoding a 1200x390
    figure takes 26 ms instead of 38 ms at Pillow's default level 6, for a PNG about 5% larger.
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=fig.dpi, pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


@dataclass(frozen=True)
class Demo:
    r"""A slider demo.

    Attributes:
        draw: ``draw(*state, **slider_values) -> matplotlib Figure``.
        sliders: ``sliders() -> {name: ipywidgets slider}``, new widgets at every call.
        special: slider settings worth testing beyond the ends and the middle (a singular matrix, ...).
        example_state: ``example_state() -> tuple``: a small, quick ``state`` for tests (an untrained
            model of the right shape, a few samples); the notebook passes its real state.

    Example (``draw`` would normally live in the notebook's demo module):

    >>> import ipywidgets, matplotlib.pyplot as plt
    >>> def draw_line(xs, *, slope):
    ...     fig, ax = plt.subplots()
    ...     ax.plot(xs, [slope * x for x in xs])
    ...     return fig
    >>> LINE = Demo(draw_line,
    ...             lambda: {"slope": ipywidgets.FloatSlider(value=1.0, min=-2.0, max=2.0, step=0.5, description="slope")},
    ...             special=({"slope": 0.0},), example_state=lambda: ([0.0, 1.0],))
    >>> [s["slope"] for s in LINE.settings()]
    [1.0, -2.0, 2.0, 0.0]
    >>> len(LINE.exercise())
    4
    """

    draw: Callable
    sliders: Callable[[], dict]
    special: tuple[dict, ...] = field(default_factory=tuple)
    example_state: Callable[[], tuple] = tuple

    def show(self, *state):
        """The interactive widget of this demo for ``state``: display it as a cell's last line."""
        import functools

        import ipywidgets
        from IPython.display import Image, display

        def redraw(**values):
            fig = self.draw(*state, **values)
            try:
                png = render_png(fig)
            finally:
                _close(fig)  # closed, the inline backend has no figure left to show again
            display(Image(data=png, format="png"))  # into the interactive's output area
            return fig

        sliders = self.sliders()
        functools.update_wrapper(redraw, self.draw)
        # interactive() reads the signature to match widgets to arguments: show it the sliders only
        # (draw's own signature also lists the state, which no widget can fill).
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

    def exercise(self, state: tuple | None = None, repeats: int = 1) -> list[Timing]:
        r"""Draw every setting of ``settings()`` ``repeats`` times with ``state`` (default:
        ``example_state()``), render each figure to PNG as ``show`` does (``render_png``), close it,
        and return a ``Timing`` per redraw: the seconds of the draw, and of the draw plus the render.

        Raises ``DemoError`` naming the demo and the setting if ``draw`` raises or returns no Figure.
        """
        from matplotlib.figure import Figure

        state = self.example_state() if state is None else state
        times = []
        for setting in self.settings():
            for _ in range(repeats):
                start = time.perf_counter()
                try:
                    fig = self.draw(*state, **setting)
                except Exception as error:
                    raise DemoError(f"{demo_name(self)}: draw(**{setting}) raised {error!r}") from error
                drawn = time.perf_counter()
                if not isinstance(fig, Figure):
                    _close(fig)
                    raise DemoError(f"{demo_name(self)}: draw(**{setting}) returned {type(fig).__name__}, "
                                    "expected a matplotlib Figure")
                try:
                    render_png(fig)
                except Exception as error:
                    raise DemoError(f"{demo_name(self)}: rendering draw(**{setting}) raised {error!r}") from error
                finally:
                    _close(fig)
                times.append(Timing(drawn - start, time.perf_counter() - start))
        return times


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
    return getattr(demo.draw, "__qualname__", repr(demo.draw))


def shown() -> list[tuple[str, Demo, object]]:
    r"""``(name, demo, widget)`` for every widget ``Demo.show`` built in this process, oldest first."""
    return [(demo_name(demo), demo, widget) for demo, widget in _SHOWN]


def _close(fig) -> None:
    import matplotlib.pyplot as plt

    if fig is not None and hasattr(fig, "canvas"):
        plt.close(fig)
