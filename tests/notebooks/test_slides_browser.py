r"""Lecture mode in a real browser: a notebook as slides (jupyterlab-rise's ``rise/<path>`` page, what
the RISE button and Alt-R open) in JupyterLab's server, driven by Chromium (Python Playwright).

- The deck opens on the title slide, has one horizontal slide per ``slide`` mark, and advances with
  the space key (fragments, subslides, slides) to its last slide.
- Live sliders on a slide, in every notebook with sliders, as README's "For instructors" tells an
  instructor to get them: run all cells in JupyterLab and save, then open the slideshow (it joins
  the notebook's kernel). The deck shows the widgets themselves, not their text
  ("Shown(children=(FloatSlider(..."), and the first slider revealed on a slide, dragged by
  the mouse, redraws that slide's picture (on a slide reveal.js takes the arrow keys). Without the shim
  in share/jupyter/labextensions/flowlib-rise-widgets (installed into the venv by ``make setup``)
  this fails: jupyterlab-rise 0.43.1's slideshow cannot load ipywidgets 8's widget manager
  (upstream: jupyterlab-contrib/rise issues 119 and 126).
"""

from __future__ import annotations

import json
import re
import shutil
import time

import pytest
from browser import JS_READY, JS_STATE, VIEWPORT, BrowserReport, JupyterLab, run_all
from notebook_sliders import NOTEBOOKS, notebooks_with_sliders
from test_sliders_browser import browser  # noqa: F401  (the module's Chromium fixture)

pytestmark = pytest.mark.slow
NAME = "02_jacobians.ipynb"  # a short notebook with sliders: the deck walked from title to end

# The slide shown: the present subslide if the present slide has subslides, else the present slide.
JS_PRESENT = """(document.querySelector('.reveal .slides section.present section.present')
               || document.querySelector('.reveal .slides section.present'))"""

# Whether an element is on screen: laid out, and not in a fragment that the deck has not revealed yet
# (reveal.js keeps those in place, transparent).
JS_SHOWN = """(el => { const r = el.getBoundingClientRect();
                       return r.width > 0 && r.height > 0 && !el.closest('.fragment:not(.visible)'); })"""

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


# The present slide (a subslide if there is one): its text, its visible slider handles, the picture
# of the first widget with one; and, over the whole deck, widget outputs shown as their text.
JS_SLIDE = """() => {
  const present = """ + JS_PRESENT + """;
  const shown = """ + JS_SHOWN + """;
  const interact = present && [...present.querySelectorAll('.flowlib-demo')]
    .find(el => [...el.querySelectorAll('.noUi-handle')].some(shown));
  const img = interact && interact.querySelector('img.widget-image');
  return {text: present ? present.innerText.slice(0, 60) : '',
          handles: interact ? [...interact.querySelectorAll('.noUi-handle')].filter(shown).length : 0,
          image: img ? img.src : null,
          widgets: document.querySelectorAll('.reveal .flowlib-demo').length,
          as_text: [...document.querySelectorAll('.reveal .jp-OutputArea-output')]
            .filter(el => /^(interactive|Shown|VBox|HBox|IntSlider|FloatSlider)\\(/.test((el.innerText || '').trim())).length};
}"""

# The first visible slider handle on the present slide, and its track: where to drag.
JS_HANDLE = """() => {
  const present = """ + JS_PRESENT + """;
  const handle = [...present.querySelectorAll('.flowlib-demo .noUi-handle')].find(""" + JS_SHOWN + """);
  handle.scrollIntoView({block: 'center'});  // a tall slide scrolls: the slider may start below the window
  const track = handle.closest('.noUi-target').getBoundingClientRect();
  const box = handle.getBoundingClientRect();
  return {x: box.x + box.width / 2, y: box.y + box.height / 2, left: track.x, right: track.x + track.width};
}"""


@pytest.mark.parametrize("name", [path.name for path in notebooks_with_sliders()])
def test_a_slider_moves_on_a_live_slide(browser, tmp_path, capsys, name):  # noqa: F811
    cells, lab = serve(tmp_path, name)
    shows = sum(bool(re.search(r"^[A-Z_]+\.show\(", "".join(c["source"]), re.M))  # a Demo's sliders
                for c in cells if c["cell_type"] == "code")
    with lab:
        context = browser.new_context(viewport=VIEWPORT)
        try:
            # the instructor's steps: run all cells in JupyterLab and save, then open the slideshow
            notebook = context.new_page()
            notebook.goto(lab.url(f"lab/workspaces/slides/tree/notebooks/{name}"))
            notebook.wait_for_function(JS_READY, arg=name, timeout=180_000, polling=250)
            run_all(notebook, BrowserReport(name), timeout_s=300)
            assert notebook.evaluate(JS_STATE)["errors"] == []
            notebook.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
            notebook.wait_for_function("() => !window.jupyterapp.shell.currentWidget.context.model.dirty",
                                       timeout=60_000)

            slides = context.new_page()
            slides.goto(lab.url(f"rise/notebooks/{name}"), timeout=180_000)
            slides.wait_for_selector(".reveal .slides section.present", timeout=180_000)
            # the widgets render once the slideshow's widget manager has the kernel's models
            slides.wait_for_function("() => document.querySelectorAll('.reveal .flowlib-demo img.widget-image').length >= "
                                     f"{shows}", timeout=60_000, polling=250)
            slide = slides.evaluate(JS_SLIDE)
            assert slide["widgets"] == shows and slide["as_text"] == 0, slide
            presses = 0
            while slide["handles"] == 0 and presses < len(cells):
                slides.keyboard.press("Space")
                presses += 1
                time.sleep(0.3)
                slide = slides.evaluate(JS_SLIDE)
            assert slide["handles"] > 0, f"no slide with a slider after {presses} presses of space"

            # by the mouse: on a slide, reveal.js takes the arrow keys (ArrowRight moves to the next slide)
            before = slide["image"]
            slider, settled = None, 0
            while settled < 3:  # reveal.js slides the new slide in: wait until the handle stops moving
                time.sleep(0.2)
                now = slides.evaluate(JS_HANDLE)
                settled, slider = (settled + 1 if now == slider else 0), now
            target = slider["x"] + (0.3 if slider["x"] < (slider["left"] + slider["right"]) / 2 else -0.3) * (
                slider["right"] - slider["left"])
            slides.mouse.move(slider["x"], slider["y"])
            start = time.monotonic()
            slides.mouse.down()
            slides.mouse.move(target, slider["y"], steps=8)
            slides.mouse.up()
            slides.screenshot(path=str(tmp_path / "after-drag.png"))  # to look at when the next line fails
            slides.wait_for_function("(before) => (" + JS_SLIDE + ")().image !== before", arg=before,
                                     timeout=60_000, polling=50)
            after = slides.evaluate(JS_SLIDE)
            assert after["text"] == slide["text"] and after["as_text"] == 0, (slide, after)
            redraw_ms = (time.monotonic() - start) * 1000
        finally:
            context.close()
    with capsys.disabled():
        print(f"\nbrowser slides {name}: {shows} live widgets in the deck, the first slider on the slide "
              f"{slide['text'][:30]!r} ({presses} presses of space) redrew its picture {redraw_ms:.0f} ms after the drag began")
