r"""A slider demo's figure, built once and updated in place: what makes a redraw fast.

Rendering a matplotlib figure is mostly text. On the 2-core machine each tick label, title or
annotation costs about 1 ms to lay out and rasterize, and a 3-panel figure has about 100 of them:
building and rendering a new figure at every slider move took 110-320 ms, where the data artists
alone take 5-30 ms. A ``View`` therefore renders the part that no slider changes (axes, limits,
ticks, labels: the *stage*) once and keeps its pixels; a slider move paints only the artists the
sliders change over a copy of those pixels (blitting) and encodes the PNG.

A subclass

- builds, in ``__init__(self, *state)``, ``self.fig`` with ``self.figure(...)`` and everything no
  slider changes, and the artists the sliders do change, each marked ``self.dynamic(artist)``;
- changes those artists in place in ``update(self, **values)`` (``set_data``, ``set_offsets``,
  ``set_text``, ``set_visible``, ...), with a default for every value, and returns nothing.

Two rules keep the blitted image equal to a fresh one (the slider tests check it, ``tests/demo_harness.py``
pixel for pixel at every setting):

- ``update`` changes nothing but dynamic artists, or calls ``self.restage()`` when it must change the
  stage (new axis limits): the stage is then rendered again, at full cost, on the next ``png()``.
  ``self.restage(key)`` keeps one stage per key (a dropdown's value, say), so that returning to a key
  costs nothing; ``update`` must then set the stage the same way at every visit of that key;
- dynamic artists are painted over the stage, in the order they were declared, whatever their zorder.

>>> import numpy as np
>>> class Line(View):
...     def __init__(self, xs):
...         self.fig = self.figure(figsize=(2, 2))
...         ax = self.fig.add_subplot()
...         ax.set(xlim=(0, 1), ylim=(-2, 2))
...         self.xs = np.asarray(xs)
...         self.line = self.dynamic(ax.plot([], [])[0])
...     def update(self, slope=1.0):
...         self.line.set_data(self.xs, slope * self.xs)
>>> view = Line([0.0, 1.0])
>>> view.update(slope=0.5)
>>> view.png()[:8]
b'\x89PNG\r\n\x1a\n'
"""

from __future__ import annotations

import io

import numpy as np

__all__ = ["View", "clamped_index"]


class View:
    r"""Base class of a slider demo's figure: see the module docstring for the contract."""

    fig = None  # the subclass's __init__ sets it, with self.figure(...)

    def figure(self, **kwargs):
        r"""A new Figure (``Figure(**kwargs)``, e.g. ``figsize=``) on its own Agg canvas, outside pyplot:
        it lives as long as the view, and the notebook's inline backend never shows it by itself."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig = Figure(**kwargs)
        FigureCanvasAgg(fig)
        return fig

    def dynamic(self, artist):
        r"""Mark ``artist`` as one that ``update`` changes (painted after the stage, in this order); returns it."""
        if "_dynamic" not in vars(self):
            self._dynamic = []
        artist.set_animated(True)  # left out of canvas.draw(): the stage is rendered without it
        self._dynamic.append(artist)
        return artist

    def keep_clear(self, ax, boxes, artists) -> None:
        r"""Clip the dynamic ``artists`` to ``ax`` minus the boxes of ``boxes`` (a legend, a text's bbox
        patch: stage), each widened by 2 pixels for its edge. Dynamic artists are painted over the stage,
        legends included; clipped, they look drawn under them, as in a still picture. The holes are kept
        in axes coordinates, so the clip follows a still picture saved at another dpi."""
        from matplotlib.path import Path

        renderer = self.fig.canvas.get_renderer()
        ax.apply_aspect()  # the axes' final position (aspect="equal" moves it): the boxes' extents depend on it
        to_axes = ax.transAxes.inverted()
        vertices = [(0, 0), (1, 0), (1, 1), (0, 1), (0, 0)]  # counter-clockwise, the holes clockwise (nonzero rule)
        for box in boxes:
            (x0, y0), (x1, y1) = to_axes.transform(box.get_window_extent(renderer).expanded(1, 1).padded(2).get_points())
            vertices += [(x0, y0), (x0, y1), (x1, y1), (x1, y0), (x0, y0)]
        codes = [Path.MOVETO, Path.LINETO, Path.LINETO, Path.LINETO, Path.CLOSEPOLY] * (1 + len(boxes))
        path = Path(vertices, codes)
        for artist in artists:
            artist.set_clip_path(path, ax.transAxes)

    def restage(self, key=None) -> None:
        r"""The stage changed (axis limits, a static label). Without ``key``: render it again on the next
        ``png()``. With a hashable ``key``: use the stage rendered for that key if there is one, else
        render it once and keep it under ``key``."""
        if key is None or "_stages" not in vars(self):
            self._stages = {}
        self._stage_key = key

    def update(self, **values) -> None:
        raise NotImplementedError(f"{type(self).__name__} must define update(**slider_values)")

    def rgba(self) -> np.ndarray:
        r"""The current image, shape (H, W, 4) uint8: the stage (rendered once, then copied) under the
        dynamic artists. A view of the canvas's buffer: copy it to keep it past the next render."""
        if self.fig is None:
            raise TypeError(f"{type(self).__name__}.__init__ must set self.fig (with self.figure(...))")
        canvas = self.fig.canvas
        stages = vars(self).setdefault("_stages", {})
        key = vars(self).get("_stage_key")
        if key in stages:
            canvas.restore_region(stages[key])
        else:
            canvas.draw()  # everything but the dynamic (animated) artists
            stages[key] = canvas.copy_from_bbox(self.fig.bbox)
        renderer = canvas.get_renderer()
        for artist in vars(self).get("_dynamic", ()):
            if artist.get_visible():
                artist.draw(renderer)
        return np.asarray(canvas.buffer_rgba())

    def png(self) -> bytes:
        r"""The current image as PNG bytes, at the figure's size and dpi. zlib's fastest level: 13-18 ms
        for a 1200x390 figure on the 2-core machine instead of about 30 ms at level 6, ~5% larger."""
        from PIL import Image

        pixels = self.rgba()
        buffer = io.BytesIO()
        Image.fromarray(pixels, "RGBA").save(buffer, format="png", compress_level=1)
        return buffer.getvalue()

    def still(self):
        r"""``self.fig`` as an ordinary Figure (the dynamic artists no longer animated, so ``savefig``
        and a notebook's inline display draw them, in zorder): for a still picture. Ends the view."""
        for artist in vars(self).get("_dynamic", ()):
            artist.set_animated(False)
        self._dynamic = []
        self.restage()
        return self.fig


def clamped_index(index, n: int) -> int:
    r"""``index`` as an int within 0..n-1: a slider past a list's ends (snapshots, steps, points) shows the
    nearest item, as a stale widget or a run with fewer snapshots would need.

    >>> clamped_index(7.0, 3), clamped_index(-1, 3), clamped_index(1.6, 3)
    (2, 0, 1)
    """
    return min(max(int(index), 0), n - 1)
