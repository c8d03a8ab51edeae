"""Lecture mode: every notebook's cells carry the slide types that scripts/mark_slides.py's rules give,
so a cell added later cannot be left out of the deck (run the script to mark it)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import mark_slides  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]*_*.ipynb"))


def _cell(kind: str, source: str, **metadata) -> dict:
    return {"cell_type": kind, "id": "x", "metadata": metadata, "source": source}


def test_rules_on_a_small_notebook():
    cells = [_cell("code", "# On Colab only: ..."), _cell("markdown", "# 09 · Title\n\ngoals"),
             _cell("code", "import torch"), _cell("markdown", "## Section\n\ntext"), _cell("markdown", "more text"),
             _cell("code", "x = 1"), _cell("code", "assert x == 1"), _cell("markdown", "**Slider.** next"),
             _cell("code", ""), _cell("code", "  y = 2\n  assert y"), _cell("markdown", "### Detail"),
             _cell("code", "z = 'no assert here: assertion'")]
    assert mark_slides.slide_types(cells) == ["skip", "slide", "skip", "slide", "-", "-", "fragment", "subslide",
                                              "skip", "fragment", "subslide", "-"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_marked_as_the_script_marks_it(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    assert mark_slides.mismatches(notebook) == [], f"run `python scripts/mark_slides.py` ({path.name})"
    # marking again changes nothing: the committed file is the script's fixed point
    assert mark_slides.dump(mark_slides.mark(notebook)) == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_deck_shape(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    types = [c["metadata"]["slideshow"]["slide_type"] for c in cells]
    shown = [(c, t) for c, t in zip(cells, types) if t != "skip"]
    first, kind = shown[0]
    assert kind == "slide" and mark_slides._source(first).startswith("# "), "the deck opens on the title slide"
    assert types[0] == "skip"  # the Colab install cell
    headings = [c for c in cells if c["cell_type"] == "markdown" and mark_slides._source(c).startswith(("# ", "## "))]
    assert types.count("slide") == len(headings) >= 3  # a slide per section of the lecture
