"""docs/add-a-slider-demo.md: its examples run as written and pass every check the notebooks' demos pass."""

from __future__ import annotations

import re
from pathlib import Path

import ipywidgets
from demo_harness import check_fits, exercise, move_each_slider
from matplotlib.figure import Figure

from flowlib.lessons.demo import Demo

PAGE = Path(__file__).resolve().parents[2] / "docs" / "add-a-slider-demo.md"


def _blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), flags=re.DOTALL)


def test_the_first_draft_is_about_30_lines():
    first = _blocks()[0]
    assert len(first.strip().splitlines()) <= 32, "the first example should stay short enough to copy"


def test_both_examples_are_valid_demos():
    blocks = _blocks()
    assert len(blocks) == 2
    namespace: dict = {}
    for k, block in enumerate(blocks):
        exec(compile(block, f"{PAGE.name} block {k + 1}", "exec"), namespace)  # the second continues the first
        demo = namespace["SCALING"]
        assert isinstance(demo, Demo)
        state = demo.example_state()
        check_fits(f"docs block {k + 1}", demo, state)
        assert len(exercise(demo, state, compare=True)) == 5  # s = 1 (initial), 0.5, 3 (ends), the middle, 2 (special)
        assert isinstance(demo.draw(*state, s=2.0), Figure)
        widget = demo.show(*state)
        if ipywidgets.__version__.startswith("7."):  # ipywidgets 7 draws when displayed
            widget.update()
        move_each_slider(f"docs block {k + 1}", widget)
        widget.close()
