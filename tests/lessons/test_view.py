r"""The View machinery's two speed-ups, checked for what they must keep: ``png_bytes`` (the same pixels as
PIL's encoder, RGB or RGBA) and ``View.numbers`` (a text whose words are stage: placed as the whole text
would be, only its numbers dynamic, a field of another width refused). Every demo's images are checked
against a fresh view's, pixel for pixel, in ``test_sliders_headless.py``."""

from __future__ import annotations

import io

import matplotlib
import numpy as np
import pytest
from PIL import Image

from flowlib.lessons.view import View, number, png_bytes

matplotlib.use("Agg")


def decoded(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


@pytest.mark.parametrize("opaque", [True, False])
def test_png_bytes_keeps_every_pixel(opaque):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (37, 53, 4), dtype=np.uint8)
    pixels[5:20, 10:40] = (250, 250, 250, 255)  # a flat region, as a figure's background
    if opaque:
        pixels[..., 3] = 255
    png = png_bytes(pixels)
    assert png[25] == (2 if opaque else 6)  # IHDR's colour type: RGB when nothing is transparent
    assert np.array_equal(decoded(png), pixels)


def test_png_bytes_of_a_figure_equals_pils_encoding():
    view = _Title()
    view.update(value=-1.25)
    pixels = view.rgba().copy()
    buffer = io.BytesIO()
    Image.fromarray(pixels, "RGBA").save(buffer, format="png")
    assert np.array_equal(decoded(png_bytes(pixels)), decoded(buffer.getvalue()))


def test_png_bytes_says_what_it_expects():
    with pytest.raises(TypeError, match=r"\(H, W, 4\) uint8"):
        png_bytes(np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(TypeError, match="float64"):
        png_bytes(np.zeros((4, 4, 4)))


class _Title(View):
    TEMPLATE = "a centred title, value = {value} and {count} items"

    def __init__(self, ha="center", template=TEMPLATE):
        self.fig = self.figure(figsize=(5, 2), dpi=100)
        ax = self.fig.add_subplot()
        ax.set_title(" ", loc=ha)
        self.title = self.numbers(ax.title, template, value="+0.00", count="000")

    def update(self, value=0.5, count=7):
        self.title.set(value=number(value), count=number(count, "{:>3.0f}"))


@pytest.mark.parametrize("ha", ["center", "left", "right"])
def test_numbers_places_words_and_numbers_where_the_whole_text_stands(ha):
    view = _Title(ha=ha)
    view.update(value=-1.25, count=42)
    renderer = view.fig.canvas.get_renderer()
    view.rgba()
    pieces = [piece.get_window_extent(renderer) for piece in view.title.pieces]
    whole = view.fig.axes[0].title
    whole.set_text(_Title.TEMPLATE.format(value=number(-1.25), count=number(42, "{:>3.0f}")))
    expected = whole.get_window_extent(renderer)
    left, right = min(p.x0 for p in pieces), max(p.x1 for p in pieces)
    assert abs(left - expected.x0) < 1.5 and abs(right - expected.x1) < 1.5, (left, right, expected)
    assert all(abs(p.y1 - expected.y1) < 1.5 and abs(p.y0 - expected.y0) < 1.5 for p in pieces), (pieces, expected)
    assert all(a.x1 <= b.x0 + 0.5 for a, b in zip(pieces, pieces[1:]))  # left to right, no overlap


def test_numbers_keeps_only_the_numbers_dynamic():
    view = _Title()
    assert [artist.get_text() for artist in view._dynamic] == ["+0.00", "000"]
    assert [piece.get_text() for piece in view.title.pieces if piece not in view._dynamic] == [
        "a centred title, value = ", " and ", " items"]


def test_numbers_refuses_a_field_of_another_width():
    view = _Title()
    with pytest.raises(ValueError, match="'value'.*not as wide as '\\+0.00'"):
        view.title.set(value="-1.25")  # a hyphen, narrower than "+"
    with pytest.raises(ValueError, match="'count'"):
        view.title.set(count="1234")
    view.title.set(value="", count=number(3, "{:>3.0f}"))  # blank is allowed: its room stays empty


def test_numbers_needs_a_widest_value_for_each_field():
    with pytest.raises(ValueError, match="give each field"):
        _Title(template="{value} only")


def test_numbers_follow_a_still_at_another_dpi():
    view = _Title()
    view.update(value=0.75, count=5)
    small, large = (decoded(_saved(view.still(), dpi)) for dpi in (100, 200))
    assert large.shape[0] == 2 * small.shape[0]
    top = view.fig.axes[0].get_position().y1  # the title's rows: above the axes' frame
    # ink in the same columns at both resolutions (halved)
    def ink_columns(pixels):
        rows = pixels[: int((1 - top) * pixels.shape[0]) - 2, :, :3].min(axis=2) < 128
        columns = np.flatnonzero(rows.any(axis=0))
        return columns.min(), columns.max()
    (a0, a1), (b0, b1) = ink_columns(small), ink_columns(large)
    assert abs(b0 / 2 - a0) <= 2 and abs(b1 / 2 - a1) <= 2, ((a0, a1), (b0, b1))


def _saved(fig, dpi) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def test_numbers_keeps_a_texts_box_in_the_stage_sized_for_the_widest_values():
    class Boxed(View):
        def __init__(self):
            self.fig = self.figure(figsize=(3, 1))
            self.box = self.fig.text(0.5, 0.5, " ", ha="center", va="center", bbox={"facecolor": "white"})
            self.numbers_ = self.numbers(self.box, "a = {a}\nb = {b}", a="+0.00", b="+00.00")

        def update(self, a=0.5):
            self.numbers_.set(a=number(a), b=number(10 * a, "{:+6.2f}"))

    view = Boxed()
    view.update(a=-0.25)
    assert view.box.get_text() == "a = +0.00\nb = +00.00" and view.box.get_color() == (0, 0, 0, 0)  # no glyphs
    assert [artist.get_text() for artist in view._dynamic] == ["−0.25", "\u2007−2.50"]
    assert view.numbers_.get_text() == "a = −0.25\nb = −2.50"
    renderer = view.fig.canvas.get_renderer()
    view.rgba()
    box = view.box.get_bbox_patch().get_window_extent(renderer)
    assert all(box.contains(*piece.get_window_extent(renderer).get_points().mean(0)) for piece in view.numbers_.pieces)


def test_numbers_in_a_monospace_font_takes_any_characters_of_the_fields_length():
    class Mono(View):
        def __init__(self):
            self.fig = self.figure(figsize=(3, 1))
            self.text = self.numbers(self.fig.text(0.1, 0.5, " ", family="monospace"), "max = {above}", above="0" * 9)

        def update(self, above=0.0):
            self.text.set(above=f"{above:9.2g}")

    view = Mono()
    view.update(above=1.5e-7)  # "  1.5e-07": letters and a hyphen, 9 characters
    assert view.text.get_text() == "max =   1.5e-07"
    with pytest.raises(ValueError, match="'above'"):
        view.text.set(above="1.5e-07000")  # 10 characters
