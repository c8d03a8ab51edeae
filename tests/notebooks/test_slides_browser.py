r"""Lecture mode in a real browser: a notebook as slides (jupyterlab-rise's ``rise/<path>`` page, what
the RISE button and Alt-R open) in JupyterLab's server, driven by Chromium (Python Playwright).

- The deck opens on the title slide, has one horizontal slide per ``slide`` mark, and advances with
  the space key (fragments, subslides, slides) to its last slide.
- Live sliders on a slide, in every notebook with sliders: checked by the browser slider test
  (``test_sliders_browser.py``, with ``live_slides.py``) in the kernel where it has just run the
  notebook, as an instructor gets them (run all, save, open the slideshow).
"""

from __future__ import annotations

import json
import shutil
import time

import pytest
from browser import VIEWPORT, JupyterLab
from live_slides import JS_PRESENT
from notebook_sliders import NOTEBOOKS
from test_sliders_browser import browser  # noqa: F401  (the module's Chromium fixture)

pytestmark = pytest.mark.slow
NAME = "02_jacobians.ipynb"  # a short notebook with sliders: the deck walked from title to end

JS_DECK = """() => {
  const top = [...document.querySelectorAll('.reveal .slides > section')];
  const present = """ + JS_PRESENT + """;
  return {horizontal: top.length, index: top.findIndex(s => s.classList.contains('present')),
          text: present ? present.innerText.slice(0, 60) : ''};
}"""


def serve(tmp_path, name: str = NAME) -> tuple[list[dict], JupyterLab]:
    """The cells of notebook ``name``, and a JupyterLab server (to enter) for a copy of it under ``tmp_path``."""
    root = tmp_path / "root"
    (root / "notebooks").mkdir(parents=True)
    shutil.copy(NOTEBOOKS / name, root / "notebooks" / name)
    return json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))["cells"], JupyterLab(root, tmp_path / "lab")


def test_slides_open_on_the_title_and_advance_to_the_end(browser, tmp_path, capsys):  # noqa: F811
    cells, lab = serve(tmp_path)
    types = [c["metadata"]["slideshow"]["slide_type"] for c in cells]
    with lab:
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        try:
            start = time.monotonic()
            page.goto(lab.url(f"rise/notebooks/{NAME}"), timeout=180_000)
            page.wait_for_selector(".reveal .slides section.present", timeout=180_000)
            opened_s = time.monotonic() - start
            deck = page.evaluate(JS_DECK)
            assert deck["horizontal"] == types.count("slide"), deck
            assert deck["index"] == 0 and deck["text"].startswith("02 · Jacobian matrix"), deck
            seen = {deck["text"]}
            for _ in range(len(types)):
                page.keyboard.press("Space")  # reveal.js: the next fragment, subslide or slide
                time.sleep(0.3)
                deck = page.evaluate(JS_DECK)
                seen.add(deck["text"])
            assert deck["index"] == types.count("slide") - 1 and deck["text"].startswith("Summary"), deck
            assert len(seen) >= types.count("slide") + types.count("subslide") - 2, sorted(seen)
        finally:
            context.close()
    with capsys.disabled():
        print(f"\nbrowser slides {NAME}: opened in {opened_s:.1f} s, {types.count('slide')} slides, "
              f"{len(seen)} distinct screens advanced through")
