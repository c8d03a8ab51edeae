r"""The slider demo, ``Demo``: each notebook's demos live in its lesson's ``views.py`` (``flowlib.lessons.nNN_<stem>``).

A demo's figure is a ``View`` (``flowlib.lessons.view``): built once for the notebook's precomputed
state (trained snapshots, sample batches: never train inside a callback), then updated in place when
a slider moves, so that a redraw paints only what the sliders change. A notebook shows a demo with
``demo.show(*state)`` (a ``Shown``: the sliders from ``demo.sliders()`` above an ``ipywidgets.Image``
that each slider's observer refills with the view's PNG) and draws a still picture with
``demo.draw(*state, **slider_values)``. A plain drawing function ``draw(*state, **slider_values) ->
Figure`` is a valid demo too: simple to write, slower to redraw.

Why an ``Image`` and not ``ipywidgets.interactive`` (issue 28): ``interactive`` draws into an ``Output``
widget, and every client that executes notebooks without a browser (nbclient, so ``jupyter nbconvert
--execute``, papermill, Voilà) answers an ``Output`` widget's draw with a message on the kernel's shell
socket, sent while it polls that socket for the cell's reply. When the two coincide the poll is not
woken (nbclient#312, nbconvert#2003 and #2029): the kernel is idle and the client waits for the whole
cell timeout. An ``Image`` is plain widget state: no client answers it, each frame sends the PNG bytes
as a binary buffer (no base64, no output-area message), and the picture a run ends with is in the
widget's state, where ``scripts/offline_outputs.py`` takes the still for readers without a kernel.

The tests drive every ``Demo`` over its sliders' ranges (``tests/demo_harness.py``, which also finds
the widgets ``show`` built, in ``_SHOWN``); docs/add-a-slider-demo.md shows how to add one.
"""

from __future__ import annotations

import html
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

import ipywidgets

from .. import one_thread
from .view import View

__all__ = ["Demo", "DemoError", "Shown", "View"]

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

    def show(self, *state) -> Shown:
        r"""The live widget of this demo for ``state`` (a ``Shown``): display it as a cell's last line.
        Draws the first picture now; ``DemoError`` naming the demo if building the view or that draw raises."""
        widget = Shown(self, self.build(*state), self.sliders())
        if widget.error:
            widget.close()
            raise DemoError(f"{_name(self.view)}: the first draw raised\n{widget.error}")
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


class Shown(ipywidgets.VBox):
    r"""A demo on the page (what ``Demo.show`` returns): its sliders, then its picture, an ``ipywidgets.Image``
    holding the view's PNG, then a line that shows a traceback when a redraw raises (hidden otherwise).

    Each slider's observer updates the view and sets the image's value: a slider move sends one binary
    buffer to the page, nothing is drawn through an ``Output`` widget (see the module docstring for why).
    Works alike with ipywidgets 7.7.1 (Colab) and 8. The box has the CSS classes of ``interactive``'s box
    (``widget-interact``, the same spacing) and ``flowlib-demo``; the picture ``widget-image``, the error
    line ``flowlib-demo-error``.

    Attributes: ``demo``, ``view``; ``sliders`` ({name: widget}, as ``demo.sliders()`` returned them);
    ``image``; ``message`` (the error line, an ``ipywidgets.HTML``); ``error`` (the last redraw's traceback
    as text, ``""`` if it drew); ``drawn`` (pictures drawn so far, the first one included).
    """

    def __init__(self, demo: Demo, view: View, sliders: dict):
        image = ipywidgets.Image(format="png")
        message = ipywidgets.HTML(layout=ipywidgets.Layout(display="none"))
        super().__init__(children=[*sliders.values(), image, message])
        self.add_class("widget-interact")
        self.add_class("flowlib-demo")
        message.add_class("flowlib-demo-error")
        self.demo, self.view, self.sliders, self.image, self.message = demo, view, dict(sliders), image, message
        self.error, self.drawn = "", 0
        for control in self.sliders.values():
            control.observe(self._redraw, names="value")
        self._redraw()

    def values(self) -> dict:
        r"""The sliders' current values, by name."""
        return {name: control.value for name, control in self.sliders.items()}

    def _redraw(self, change=None) -> None:
        try:
            with one_thread():  # tiny tensors; a busy machine's second torch thread only waits (flowlib/_threads.py)
                self.view.update(**self.values())
                png = self.view.png()
        except Exception:  # noqa: BLE001  shown under the picture: an observer's exception is only logged
            self.error = traceback.format_exc()
            self.message.value = f"<pre style='color:#b00; white-space:pre-wrap'>{html.escape(self.error)}</pre>"
            self.message.layout.display = None
            return
        self.image.value = png
        self.drawn += 1
        if self.error:
            self.error, self.message.value = "", ""
            self.message.layout.display = "none"
