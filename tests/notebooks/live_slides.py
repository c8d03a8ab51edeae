r"""Lecture mode's live sliders, checked in the browser as README's "For instructors" tells an instructor to
get them: run all cells in JupyterLab and save, then open the slideshow (jupyterlab-rise's ``rise/<path>``
page, which joins the notebook's kernel). The deck must show the widgets themselves, not their text
("Shown(children=(FloatSlider(..."), and the first slider revealed on a slide, dragged by the mouse, must
redraw that slide's picture (on a slide reveal.js takes the arrow keys). Without the shim in
share/jupyter/labextensions/flowlib-rise-widgets (installed into the venv by ``make setup``) this fails:
jupyterlab-rise 0.43.1's slideshow cannot load ipywidgets 8's widget manager (upstream:
jupyterlab-contrib/rise issues 119 and 126).

``check_live_slide`` runs on the page where the browser slider test (``test_sliders_browser.py``) has
just run the notebook: the run that test needs anyway, so the deck costs a save and a page, not a second
run of the notebook.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from notebook_sliders import SHOW_CALL

# The slide shown: the present subslide if the present slide has subslides, else the present slide.
JS_PRESENT = """(document.querySelector('.reveal .slides section.present section.present')
               || document.querySelector('.reveal .slides section.present'))"""

# Whether an element is on screen: laid out, and not in a fragment that the deck has not revealed yet
# (reveal.js keeps those in place, transparent).
JS_SHOWN = """(el => { const r = el.getBoundingClientRect();
                       return r.width > 0 && r.height > 0 && !el.closest('.fragment:not(.visible)'); })"""

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

def shows_in(notebook: Path) -> tuple[int, int]:
    """How many cells of ``notebook`` show a Demo, and how many cells it has."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return sum(bool(SHOW_CALL.search("".join(c["source"]))) for c in cells if c["cell_type"] == "code"), len(cells)


def check_live_slide(context, page, lab, name: str, notebook: Path, problems: list[str]) -> str:
    r"""Save the notebook that ``page`` has run (``name``: its path under the lab's root; ``notebook``: the
    committed file, to count its demos), open its slideshow in ``context``, advance to the first slide
    with a slider and drag it. Appends to ``problems``; returns the line to print."""
    shows, cell_count = shows_in(notebook)
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    page.wait_for_function("() => !window.jupyterapp.shell.currentWidget.context.model.dirty", timeout=60_000)
    slides = context.new_page()
    slides.goto(lab.url(f"rise/{name}"), timeout=180_000)
    slides.wait_for_selector(".reveal .slides section.present", timeout=180_000)
    # the widgets render once the slideshow's widget manager has the kernel's models
    slides.wait_for_function("() => document.querySelectorAll('.reveal .flowlib-demo img.widget-image').length >= "
                             f"{shows}", timeout=60_000, polling=250)
    slide = slides.evaluate(JS_SLIDE)
    if slide["widgets"] != shows or slide["as_text"]:
        problems.append(f"slides: the deck shows {slide['widgets']} demo widgets (the notebook shows {shows}) "
                        f"and {slide['as_text']} widgets as text")
    presses = 0
    while slide["handles"] == 0 and presses < cell_count:
        slides.keyboard.press("Space")  # reveal.js: the next fragment, subslide or slide
        presses += 1
        time.sleep(0.3)
        slide = slides.evaluate(JS_SLIDE)
    if slide["handles"] == 0:
        problems.append(f"slides: no slide with a slider after {presses} presses of space")
        return f"browser slides {notebook.name}: no slider found"

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
    try:
        slides.wait_for_function("(before) => (" + JS_SLIDE + ")().image !== before", arg=before,
                                 timeout=60_000, polling=50)
    except Exception:  # noqa: BLE001  a Playwright timeout: said as a problem, like the others
        problems.append(f"slides: dragging the slider on the slide {slide['text'][:30]!r} did not redraw its picture")
        return f"browser slides {notebook.name}: the drag did not redraw"
    redraw_ms = (time.monotonic() - start) * 1000
    after = slides.evaluate(JS_SLIDE)
    if after["text"] != slide["text"] or after["as_text"]:
        problems.append(f"slides: after the drag the slide changed or shows widgets as text: {slide} -> {after}")
    return (f"browser slides {notebook.name}: {shows} live widgets in the deck, the first slider on the slide "
            f"{slide['text'][:30]!r} ({presses} presses of space) redrew its picture {redraw_ms:.0f} ms after "
            "the drag began")
