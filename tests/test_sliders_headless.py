r"""Layer 1 of the slider tests: without a kernel.

Every ``Demo`` defined in a ``flowlib.demos.*`` module is drawn at every setting of
``Demo.settings()`` (each slider's ends and middle, every dropdown option, the demo's ``special``
settings) with its ``example_state()``; each draw must return a matplotlib Figure and raise nothing.
The redraw goal is a median of 100 ms on the 2-core machine; the test fails at 10x that, so a real
regression fails and a busy machine does not (``python benchmarks/redraw.py`` prints the table).
``Demo.show`` must build an ``ipywidgets.interactive`` with exactly the declared sliders, whose
callback draws a new Figure when a slider moves.

Run just this layer: ``pytest tests/test_sliders_headless.py``.
"""

from __future__ import annotations

import inspect
import pkgutil
import statistics
import sys
import time

import ipywidgets
import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure

import flowlib.demos
from flowlib.demos import Demo, DemoError, all_demos, render_png, slider_values

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
    files = {info.name for info in pkgutil.iter_modules(flowlib.demos.__path__)}
    assert files <= modules, f"flowlib.demos modules without a module-level Demo: {sorted(files - modules)}"


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
def test_example_state_is_quick_and_fits_draw(name):
    demo = DEMOS[name]
    start = time.perf_counter()
    state = demo.example_state()
    seconds = time.perf_counter() - start
    assert isinstance(state, tuple), f"{name}: example_state() returned {type(state).__name__}, expected a tuple"
    assert seconds <= EXAMPLE_STATE_BOUND_S, f"{name}: example_state() took {seconds:.1f} s (goal 1 s)"
    initial = demo.settings()[0]
    try:
        inspect.signature(demo.draw).bind(*state, **initial)
    except TypeError as error:
        pytest.fail(f"{name}: draw(*example_state(), **{initial}) does not fit draw's signature: {error}")


@pytest.mark.parametrize("name", NAMES)
def test_every_setting_draws_a_figure_quickly(name, capsys):
    demo = DEMOS[name]
    state = demo.example_state()
    warm_up = demo.draw(*state, **demo.settings()[0])  # font cache, glyph cache and other first-call costs
    render_png(warm_up)
    plt.close(warm_up)
    timings = demo.exercise(state)
    draw_ms = 1000 * statistics.median(t.draw for t in timings)
    median_ms = 1000 * statistics.median(t.total for t in timings)
    with capsys.disabled():
        print(f"\nheadless redraw {name:40s} {len(timings):3d} settings, median draw {draw_ms:6.1f} ms, "
              f"draw+render {median_ms:6.1f} ms")
    assert median_ms <= BOUND_MS, (f"{name}: median redraw (draw+render) {median_ms:.0f} ms, bound {BOUND_MS} ms "
                                   f"(goal {GOAL_MS} ms)")


@pytest.mark.parametrize("name", NAMES)
def test_show_builds_the_declared_interactive(name):
    demo = DEMOS[name]
    declared = demo.sliders()
    widget = demo.show(*demo.example_state())
    assert isinstance(widget, ipywidgets.interactive)
    assert [control._kwarg for control in widget.kwargs_widgets] == list(declared), f"{name}: sliders differ"
    assert [control.description for control in widget.kwargs_widgets] == [w.description for w in declared.values()]
    if ipywidgets.__version__.startswith("7."):  # ipywidgets 7 (Colab) draws first when displayed, 8 when built
        widget.update()
    assert isinstance(widget.result, Figure), f"{name}: the first draw gave {widget.result!r}, expected a Figure"
    move_each_slider(name, widget)
    widget.close()


def move_each_slider(name: str, widget: ipywidgets.interactive) -> None:
    """Set each slider of ``widget`` to another of its values and back: each move must draw a new Figure."""
    for control in widget.kwargs_widgets:
        initial = control.value
        other = next((v for v in slider_values(control) if repr(v) != repr(initial)), None)
        if other is None:
            continue
        before = widget.result
        control.value = other
        assert isinstance(widget.result, Figure) and widget.result is not before, (
            f"{name}: setting {control._kwarg}={other!r} did not draw a new Figure (got {widget.result!r}); "
            "outside a kernel, interactive only logs the callback's exception")
        control.value = initial


# The harness itself, on demos defined here: what makes the tests above fail.

def _draw_line(xs, *, slope, kind="line"):
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot(xs, [slope * x for x in xs])
    return fig


def _line_sliders():
    return {"slope": ipywidgets.FloatSlider(value=1.0, min=-2.0, max=2.0, step=0.5, description="slope"),
            "kind": ipywidgets.Dropdown(options=[("a line", "line"), ("a dot", "dot")], description="kind")}


def test_settings_cover_ends_middle_options_and_special():
    demo = Demo(_draw_line, _line_sliders, special=({"slope": 0.5},), example_state=lambda: ([0.0, 1.0],))
    assert demo.settings() == [
        {"slope": 1.0, "kind": "line"}, {"slope": -2.0, "kind": "line"}, {"slope": 2.0, "kind": "line"},
        {"slope": 0.0, "kind": "line"}, {"slope": 1.0, "kind": "dot"}, {"slope": 0.5, "kind": "line"}]
    assert len(demo.exercise()) == 6


def test_broken_slider_callback_fails_headless():
    def broken(xs, *, slope, kind="line"):  # fine at the first render, raises once slope moves
        if slope != 1.0:
            raise ZeroDivisionError("broken on purpose")
        return _draw_line(xs, slope=slope)

    demo = Demo(broken, _line_sliders, example_state=lambda: ([0.0, 1.0],))
    with pytest.raises(DemoError, match=r"'slope': -2.0.*ZeroDivisionError"):
        demo.exercise()
    widget = demo.show([0.0, 1.0])
    with pytest.raises(AssertionError, match="slope=-2.0 did not draw a new Figure"):
        move_each_slider("broken", widget)  # raises inside the widget: only logged
    widget.close()


def test_draw_returning_no_figure_fails():
    demo = Demo(lambda xs, *, slope, kind: None, _line_sliders, example_state=lambda: ([0.0],))
    with pytest.raises(DemoError, match="returned NoneType, expected a matplotlib Figure"):
        demo.exercise()


def test_special_naming_no_slider_fails():
    demo = Demo(_draw_line, _line_sliders, special=({"angle": 1.0},))
    with pytest.raises(DemoError, match=r"names \['angle'\], expected only slider names"):
        demo.settings()


def test_all_demos_finds_module_level_demos(tmp_path, monkeypatch):
    (tmp_path / "zz_fixture.py").write_text(
        "import ipywidgets\nfrom flowlib.demos import Demo\n"
        "def draw(*, n):\n    import matplotlib.pyplot as plt\n    return plt.figure()\n"
        "COUNT = Demo(draw, lambda: {'n': ipywidgets.IntSlider(value=1, min=0, max=3, description='n')})\n")
    monkeypatch.setattr(flowlib.demos, "__path__", [*flowlib.demos.__path__, str(tmp_path)])
    monkeypatch.delitem(sys.modules, "flowlib.demos.zz_fixture", raising=False)
    try:
        demos = all_demos()
        assert "zz_fixture.COUNT" in demos
        assert flowlib.demos.demo_name(demos["zz_fixture.COUNT"]) == "zz_fixture.COUNT"
        assert [s["n"] for s in demos["zz_fixture.COUNT"].settings()] == [1, 0, 3, 2]
    finally:
        sys.modules.pop("flowlib.demos.zz_fixture", None)
