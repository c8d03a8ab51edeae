r"""Layer 1 of the slider tests: without a kernel.

Every ``Demo`` defined in a lesson's ``views.py`` (``flowlib.lessons.nNN_<stem>.views``) moves one view of its ``example_state()``
through every setting of ``settings(demo)`` (``demo_harness``) (each slider's ends and middle, every dropdown option,
the demo's ``special`` settings), as a student would; each update must raise nothing, and each image
must equal, pixel for pixel, that of a view built afresh for the same setting (an update that leaves
an artist behind fails). The redraw goal (update plus render to PNG) is a median of 100 ms on the
2-core machine; the test fails at 10x that, so a real regression fails and a busy machine does not
(``python benchmarks/redraw.py`` prints the table). ``Demo.show`` must build a ``Shown`` with
exactly the declared sliders over an ``ipywidgets.Image`` (no ``Output`` widget: issue 28), whose
observers draw a new picture when a slider moves and show a redraw's traceback under it;
``Demo.draw`` must give a still Figure.

Run just this layer: ``pytest tests/lessons/test_sliders_headless.py``.
"""

from __future__ import annotations

import io
import pkgutil
import statistics
import sys
import time

import ipywidgets
import matplotlib.pyplot as plt
import pytest
from demo_harness import all_demos, check_fits, demo_name, exercise, move_each_slider, settings
from matplotlib.figure import Figure

import flowlib.lessons
from flowlib.lessons.demo import Demo, DemoError, Shown
from flowlib.lessons.view import View

GOAL_MS = 100
BOUND_MS = 10 * GOAL_MS  # the test's bound: 10x the goal
EXAMPLE_STATE_BOUND_S = 10.0  # 10x the 1 s goal for example_state()

DEMOS = all_demos()
NAMES = sorted(DEMOS)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_every_demo_module_defines_a_demo():
    modules = {name.split(".")[0] for name in DEMOS}
    # n08_playground: notebook 08's page, a Playground of buttons and one View (not a slider demo)
    without = {"n08_playground"}
    lessons = {info.name for info in pkgutil.iter_modules(flowlib.lessons.__path__) if info.ispkg} - without
    assert lessons <= modules, f"lessons whose views.py has no module-level Demo: {sorted(lessons - modules)}"


@pytest.mark.parametrize("name", NAMES)
def test_sliders_are_new_widgets_with_descriptions(name):
    demo = DEMOS[name]
    first, second = demo.sliders(), demo.sliders()
    assert first and list(first) == list(second), f"{name}: sliders() must return the same non-empty names each call"
    for key, widget in first.items():
        assert isinstance(widget, ipywidgets.ValueWidget), f"{name}: slider {key!r} is {type(widget).__name__}, expected a widget"
        assert widget is not second[key], f"{name}: sliders() must build NEW widgets at every call ({key!r} is shared)"
        assert widget.description, f"{name}: slider {key!r} has no description"


@pytest.mark.parametrize("name", NAMES)
def test_example_state_is_quick_and_fits_the_view(name):
    demo = DEMOS[name]
    start = time.perf_counter()
    state = demo.example_state()
    seconds = time.perf_counter() - start
    assert isinstance(state, tuple), f"{name}: example_state() returned {type(state).__name__}, expected a tuple"
    assert seconds <= EXAMPLE_STATE_BOUND_S, f"{name}: example_state() took {seconds:.1f} s (goal 1 s)"
    check_fits(name, demo, state)


@pytest.mark.parametrize("name", NAMES)
def test_every_setting_redraws_quickly_and_as_a_fresh_view(name, capsys):
    demo = DEMOS[name]
    state = demo.example_state()
    exercise(demo, state, compare=True)  # also the warm-up: font cache, glyph cache, first-call costs
    timings = exercise(demo, state)
    update_ms = 1000 * statistics.median(t.update for t in timings)
    median_ms = 1000 * statistics.median(t.total for t in timings)
    with capsys.disabled():
        print(f"\nheadless redraw {name:40s} {len(timings):3d} settings, median update {update_ms:6.1f} ms, "
              f"update+render {median_ms:6.1f} ms")
    assert median_ms <= BOUND_MS, (f"{name}: median redraw (update+render) {median_ms:.0f} ms, bound {BOUND_MS} ms "
                                   f"(goal {GOAL_MS} ms)")


@pytest.mark.parametrize("name", NAMES)
def test_draw_gives_a_still_figure(name):
    demo = DEMOS[name]
    fig = demo.draw(*demo.example_state())
    assert isinstance(fig, Figure)
    assert not any(artist.get_animated() for artist in fig.findobj()), f"{name}: a still figure must draw every artist"
    fig.savefig(io.BytesIO(), format="png")


@pytest.mark.parametrize("name", NAMES)
def test_show_builds_the_declared_sliders_over_an_image(name):
    demo = DEMOS[name]
    declared = demo.sliders()
    widget = demo.show(*demo.example_state())
    assert isinstance(widget, Shown)
    assert list(widget.sliders) == list(declared), f"{name}: sliders differ"
    assert [control.description for control in widget.sliders.values()] == [w.description for w in declared.values()]
    assert list(widget.children) == [*widget.sliders.values(), widget.image, widget.message]
    # drawn when built, with ipywidgets 7 (Colab) as with 8; no Output widget anywhere (issue 28)
    assert widget.drawn == 1 and widget.image.value[:8] == b"\x89PNG\r\n\x1a\n" and not widget.error
    assert not any(isinstance(child, ipywidgets.Output) for child in widget.children)
    move_each_slider(name, widget)
    widget.close()


# The harness itself, on demos defined here: what makes the tests above fail.

class _Line(View):
    def __init__(self, xs):
        self.fig = self.figure(figsize=(2, 2))
        ax = self.fig.add_subplot()
        ax.set(xlim=(0, 1), ylim=(-2, 2))
        self.xs = xs
        self.line = self.dynamic(ax.plot([], [])[0])

    def update(self, slope=1.0, kind="line"):
        self.line.set_data(self.xs, [slope * x for x in self.xs])
        self.line.set_linestyle("-" if kind == "line" else "none")
        self.line.set_marker("" if kind == "line" else "o")


def _line_sliders():
    return {"slope": ipywidgets.FloatSlider(value=1.0, min=-2.0, max=2.0, step=0.5, description="slope"),
            "kind": ipywidgets.Dropdown(options=[("a line", "line"), ("a dot", "dot")], description="kind")}


def test_settings_cover_ends_middle_options_and_special():
    demo = Demo(_Line, _line_sliders, special=({"slope": 0.5},), example_state=lambda: ([0.0, 1.0],))
    assert settings(demo) == [
        {"slope": 1.0, "kind": "line"}, {"slope": -2.0, "kind": "line"}, {"slope": 2.0, "kind": "line"},
        {"slope": 0.0, "kind": "line"}, {"slope": 1.0, "kind": "dot"}, {"slope": 0.5, "kind": "line"}]
    assert len(exercise(demo, compare=True)) == 6


def test_broken_slider_callback_fails_headless():
    class Broken(_Line):  # fine at the first render, raises once slope moves
        def update(self, slope=1.0, kind="line"):
            if slope != 1.0:
                raise ZeroDivisionError("broken on purpose")
            super().update(slope, kind)

    demo = Demo(Broken, _line_sliders, example_state=lambda: ([0.0, 1.0],))
    with pytest.raises(DemoError, match=r"'slope': -2.0.*ZeroDivisionError"):
        exercise(demo)
    widget = demo.show([0.0, 1.0])
    with pytest.raises(AssertionError, match=r"slope=-2.0 did not draw a new picture(.|\n)*ZeroDivisionError"):
        move_each_slider("broken", widget)  # raises inside the observer: shown under the picture
    assert widget.message.layout.display != "none" and "ZeroDivisionError: broken on purpose" in widget.message.value
    widget.sliders["slope"].value = 1.0  # a good setting again: the error line goes
    assert not widget.error and widget.message.layout.display == "none"
    widget.close()


def test_a_first_draw_that_raises_fails_show():
    class Unfit(_Line):
        def update(self, slope=1.0, kind="line"):
            raise ValueError("wrong shape")

    with pytest.raises(DemoError, match=r"first draw raised(.|\n)*ValueError: wrong shape"):
        Demo(Unfit, _line_sliders).show([0.0, 1.0])


def test_an_update_that_leaves_an_artist_behind_fails():
    class Stale(_Line):  # draws a point per move and never removes the old ones
        def update(self, slope=1.0, kind="line"):
            super().update(slope, kind)
            self.dynamic(self.fig.axes[0].plot([0.5], [slope / 2], "o")[0])

    demo = Demo(Stale, _line_sliders, example_state=lambda: ([0.0, 1.0],))
    assert exercise(demo)  # nothing raises: only the comparison catches it
    with pytest.raises(DemoError, match="differs from a fresh view's"):
        exercise(demo, compare=True)


def test_an_update_that_changes_the_stage_must_restage():
    class Zoom(_Line):  # new limits at every move: part of the stage
        def update(self, slope=1.0, kind="line"):
            super().update(slope, kind)
            self.fig.axes[0].set_ylim(-abs(slope) - 1, abs(slope) + 1)

    class Restaged(Zoom):
        def update(self, slope=1.0, kind="line"):
            super().update(slope, kind)
            self.restage(abs(slope))  # one kept stage per |slope|

    with pytest.raises(DemoError, match="without restage"):
        exercise(Demo(Zoom, _line_sliders, example_state=lambda: ([0.0, 1.0],)), compare=True)
    assert len(exercise(Demo(Restaged, _line_sliders, example_state=lambda: ([0.0, 1.0],)), compare=True)) == 5


def _draw_line(xs, *, slope, kind="line"):
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot(xs, [slope * x for x in xs])
    return fig


def test_a_plain_drawing_function_still_works():
    demo = Demo(_draw_line, _line_sliders, example_state=lambda: ([0.0, 1.0],))
    assert len(exercise(demo, compare=True)) == 5
    assert isinstance(demo.draw([0.0, 1.0], slope=2.0), Figure)
    assert plt.get_fignums() == [], "a plain function's figures must leave pyplot (or the inline backend shows them twice)"


def test_draw_returning_no_figure_fails():
    demo = Demo(lambda xs, *, slope, kind: None, _line_sliders, example_state=lambda: ([0.0],))
    with pytest.raises(DemoError, match="returned NoneType, expected a matplotlib Figure"):
        exercise(demo)


def test_building_a_view_that_raises_names_the_demo():
    class Unbuildable(_Line):
        def __init__(self, xs):
            raise ValueError("expected xs of shape (B,)")

    with pytest.raises(DemoError, match=r"building the view raised ValueError\('expected xs of shape"):
        exercise(Demo(Unbuildable, _line_sliders, example_state=lambda: ([0.0],)))


def test_special_naming_no_slider_fails():
    demo = Demo(_draw_line, _line_sliders, special=({"angle": 1.0},))
    with pytest.raises(DemoError, match=r"names \['angle'\], expected only slider names"):
        settings(demo)


def test_all_demos_finds_module_level_demos(tmp_path, monkeypatch):
    (tmp_path / "zz_fixture").mkdir()
    (tmp_path / "zz_fixture" / "__init__.py").write_text("")
    (tmp_path / "zz_fixture" / "views.py").write_text(
        "import ipywidgets\nfrom flowlib.lessons.demo import Demo\n"
        "def draw(*, n):\n    import matplotlib.pyplot as plt\n    return plt.figure()\n"
        "COUNT = Demo(draw, lambda: {'n': ipywidgets.IntSlider(value=1, min=0, max=3, description='n')})\n")
    monkeypatch.setattr(flowlib.lessons, "__path__", [*flowlib.lessons.__path__, str(tmp_path)])
    for name in ("flowlib.lessons.zz_fixture", "flowlib.lessons.zz_fixture.views"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    try:
        demos = all_demos()
        assert "zz_fixture.COUNT" in demos
        assert demo_name(demos["zz_fixture.COUNT"]) == "zz_fixture.COUNT"
        assert [s["n"] for s in settings(demos["zz_fixture.COUNT"])] == [1, 0, 3, 2]
        check_fits("zz_fixture.COUNT", demos["zz_fixture.COUNT"], ())  # a plain function passes the per-demo checks
        assert len(exercise(demos["zz_fixture.COUNT"], compare=True)) == 4
    finally:
        sys.modules.pop("flowlib.lessons.zz_fixture.views", None)
        sys.modules.pop("flowlib.lessons.zz_fixture", None)
