r"""A slider demo's figure, built once and updated in place: what makes a redraw fast.

Rendering a matplotlib figure is mostly text. On the 2-core machine each tick label, title or
annotation costs about 1 ms to lay out and rasterize, and a 3-panel figure has about 100 of them:
building and rendering a new figure at every slider move took 110-320 ms, where the data artists
alone take 5-30 ms. A ``View`` therefore renders the part that no slider changes (axes, limits,
ticks, labels: the *stage*) once and keeps its pixels; a slider move paints only the artists the
sliders change over a copy of those pixels (blitting) and encodes the PNG (``png_bytes``: one
filter, zlib's fastest level). A text's words are stage too: ``self.numbers(text, template, ...)``
keeps only the numbers of a title such as "area = 1.049" dynamic, since each character costs about
0.3 ms at every move.

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

import string
import struct
import zlib

import numpy as np

__all__ = ["Numbers", "View", "clamped_index", "number", "padded", "png_bytes"]


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

    def numbers(self, text, template: str, **widest) -> Numbers:
        r"""``text`` (a Text of the figure: a title, a suptitle, an ``ax.text``) showing ``template``, a
        ``str.format`` template of named fields (``"area = {area}"``), with its words in the stage and only
        its numbers dynamic: ``numbers.set(area=...)`` changes them. Each text costs about 0.3 ms a
        character to lay out and rasterize at every move; the words of a 70-character title are most of a
        redraw. ``widest`` gives each field a value as wide as any it will show (``area="00.000"``): the
        words are placed around it. Fields keep that width, as ``number`` formats them."""
        return Numbers(self, text, template, widest)

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
        r"""The current image as PNG bytes, at the figure's size and dpi (``png_bytes``)."""
        return png_bytes(self.rgba())

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


def png_bytes(pixels: np.ndarray) -> bytes:
    r"""``pixels`` (H, W, 4) uint8 RGBA as PNG bytes: RGB when every pixel is opaque (a figure's usual
    background), each row filtered as its difference from the row above (PNG's "Up" filter, one numpy
    subtraction) and compressed at zlib's fastest level. PIL's encoder tries every filter on every row: for the
    demos' frames it took 5-28 ms on the 2-core machine against 3-16 ms, for a size within 4 %; the same pixels.

    >>> from PIL import Image; import io
    >>> pixels = np.zeros((3, 2, 4), np.uint8); pixels[..., 3] = 255; pixels[1, 1, :3] = (10, 200, 30)
    >>> np.array_equal(np.asarray(Image.open(io.BytesIO(png_bytes(pixels))).convert("RGBA")), pixels)
    True
    """
    pixels = np.asarray(pixels)
    if pixels.ndim != 3 or pixels.shape[2] != 4 or pixels.dtype != np.uint8:
        raise TypeError(f"png_bytes expects (H, W, 4) uint8 RGBA pixels, got {pixels.dtype} of shape {pixels.shape}")
    height, width, _ = pixels.shape
    if pixels[..., 3].min() == 255:
        pixels, color_type = pixels[..., :3], 2  # RGB
    else:
        color_type = 6  # RGBA
    rows = np.ascontiguousarray(pixels).reshape(height, -1)
    filtered = np.empty((height, rows.shape[1] + 1), np.uint8)
    filtered[:, 0] = 2  # each row's filter type: Up
    filtered[0, 1:] = rows[0]  # the row above the first is zeros
    np.subtract(rows[1:], rows[:-1], out=filtered[1:, 1:])  # modulo 256, as PNG's filters are

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)  # 8 bits, no interlace
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(filtered.tobytes(), 1))
            + chunk(b"IEND", b""))


def number(value, fmt: str = "{:+.2f}") -> str:
    r"""``value`` formatted by ``fmt``, as wide whatever its value: U+2212 for the minus sign (as wide as "+";
    a hyphen is narrower) and figure spaces (U+2007, as wide as a digit) for the format's padding. A
    ``Numbers`` field, or a number in a centred title, then keeps its width as a slider moves.

    >>> number(-0.5), number(2, "{:<6.3f}")
    ('−0.50', '2.000\u2007')
    """
    return fmt.format(float(value)).replace("-", "\u2212").replace(" ", "\u2007")


def padded(count: int, largest: int) -> str:
    r"""``count`` right-aligned, with figure spaces, in the width of ``largest``: a step counter in a title
    keeps its width (a ``Numbers`` field).

    >>> padded(7, 1500)
    '\u2007\u2007\u20077'
    """
    return number(count, f"{{:>{len(str(int(largest)))}.0f}}")


_WIDTH_CLASS = str.maketrans({**{d: "0" for d in "0123456789\u2007"}, "\u2212": "+"})  # same advance in a font's tabular digits


class Numbers:
    r"""A text whose words are stage and whose numbers are dynamic: see ``View.numbers``. The words and
    the numbers are separate Texts with ``text``'s font, colour and alignment, placed (in points from
    ``text``'s anchor, so a still saved at another dpi keeps them) where they stand in the whole text;
    ``text`` itself is left blank, or, if it has a box (``bbox=``), keeps the box, sized for the widest
    values, and draws no glyphs. Lines (``\\n``) are placed as ``text`` would place them."""

    def __init__(self, view: View, text, template: str, widest: dict):
        from matplotlib.transforms import offset_copy

        fig = view.fig
        fields = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
        if sorted(fields) != sorted(widest) or len(set(fields)) != len(fields):
            raise ValueError(f"numbers(): give each field of {template!r} once, as a widest value; got {sorted(widest)}")
        if text.get_rotation() != 0:
            raise ValueError("numbers(): a rotated text is drawn whole; mark it dynamic instead")
        self._widest = {name: str(value) for name, value in widest.items()}
        renderer = fig.canvas.get_renderer()
        scale = 72 / fig.dpi  # pixels to points
        anchor = text.get_transform().transform(text.get_position())

        def extent(s: str, **alignment):  # where text would draw s, in pixels
            scratch = type(text)(*text.get_position(), s)
            scratch.update_from(text)
            scratch.set(figure=fig, transform=text.get_transform(), **alignment)
            return scratch.get_window_extent(renderer)

        self._monospace = extent("i").width == extent("M").width  # then any characters of a length fit a field
        whole = extent(template.format(**self._widest))
        lines = template.split("\n")
        pitch = extent("0\n0").height - extent("0").height  # from one line's top to the next one's
        ascent = extent("0", verticalalignment="baseline").y1 - anchor[1]  # from a line's top to its baseline
        self.fields, self._rows = {}, []
        for row, line in enumerate(lines):
            self._rows.append([])
            pieces = [(s, field) for words, name, _, _ in string.Formatter().parse(line)
                      for s, field in ((words, None), (self._widest.get(name, ""), name)) if s]
            line_width = extent("".join(s for s, _ in pieces)).width
            left = {"left": whole.x0, "center": (whole.x0 + whole.x1 - line_width) / 2,
                    "right": whole.x1 - line_width}[text.get_horizontalalignment()]
            baseline = whole.y1 - row * pitch - ascent
            for s, field in pieces:
                piece = type(text)(*text.get_position(), s)
                piece.update_from(text)
                piece.set(horizontalalignment="left", verticalalignment="baseline",
                          transform=offset_copy(text.get_transform(), fig=fig, units="points",
                                                x=(left - anchor[0]) * scale, y=(baseline - anchor[1]) * scale))
                fig.add_artist(piece)  # not the axes': they would clip it to their patch
                self._rows[-1].append(piece)
                if field is not None:
                    self.fields[field] = view.dynamic(piece)
                left += extent(s).width
        if text.get_bbox_patch() is None:
            text.set_text(" ")  # blank, but still there: a title keeps its room above the axes
        else:  # its box, sized for the widest numbers, stays in the stage (and arrows to it); its glyphs are not drawn
            text.set_text(template.format(**self._widest))
            text.set_color((0, 0, 0, 0))

    @property
    def pieces(self) -> list:
        r"""The Texts it is drawn as, words and fields, line by line and left to right."""
        return [piece for row in self._rows for piece in row]

    def get_text(self) -> str:
        r"""The text as shown, words and numbers, without the figure spaces that pad a number."""
        return "\n".join("".join(piece.get_text() for piece in row) for row in self._rows).replace("\u2007", "")

    def set_visible(self, visible: bool) -> None:
        r"""Show or hide the whole text, its words included: call ``restage`` with a key that tells the two apart."""
        for piece in self.pieces:
            piece.set_visible(visible)

    def set(self, **values) -> None:
        r"""Show ``values`` in their fields: strings, each as wide as its field's widest value, or empty (its
        room stays blank)."""
        for name, value in values.items():
            if name not in self.fields:
                raise ValueError(f"numbers(): no field {name!r}; the fields are {sorted(self.fields)}")
            value = str(value)
            if self._monospace:
                widths = len(value), len(self._widest[name])
            else:  # the characters' widths add up: their order does not matter
                widths = sorted(value.translate(_WIDTH_CLASS)), sorted(self._widest[name].translate(_WIDTH_CLASS))
            if value and widths[0] != widths[1]:
                raise ValueError(f"numbers(): {value!r} for field {name!r} is not as wide as {self._widest[name]!r}: "
                                 "format it to the same digits, signs and padding (number(value, fmt))")
            self.fields[name].set_text(value)
