r"""Readable without a kernel: what GitHub, nbviewer and a notebook not yet run show at each slider.

``scripts/run_notebooks.py`` ends with ``offline_outputs`` (``scripts/offline_outputs.py``): each
slider's widget output becomes a caption and a still picture at its initial setting, and progress bars'
first frames (0%) go. Here:

- ``offline_outputs`` itself, on a hand-made executed notebook (a ``Demo.show`` box, a tqdm bar, a button, the playground's page);
- ``flowlib.fit``'s closing line, which replaces the bar in a finished cell;
- each committed notebook rendered by nbconvert's HTML exporter (what nbviewer runs) and opened in
  Chromium, offline: every slider cell shows a loaded image, and no widget repr (``Shown(children=``,
  ``interactive(children=``),
  no 0% bar and no error is on the page;
- each committed notebook opened in JupyterLab in Chromium (one server for all) WITHOUT running it:
  the same, where JupyterLab puts each cell.

A fixture notebook that stores a slider as today's raw widget output must fail both browser checks.
The committed notebooks' outputs themselves are checked in ``test_notebooks_committed.py``.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import time
from pathlib import Path

import nbformat
import pytest
import torch
from browser import VIEWPORT, JupyterLab, chromium
from notebook_sliders import NOTEBOOKS, ROOT, SHOW_CALL

from flowlib import fit, make_realnvp, toy_data

COURSE = sorted(NOTEBOOKS.glob("*.ipynb"))
ARTIFACTS = ROOT / "test-artifacts" / "offline"  # a screenshot at each notebook's first slider, per renderer
SLIDER_CALL = SHOW_CALL  # NAME.show(...): every slider of the course is a Demo's (no notebook builds an interact)
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
CLOSING_LINE = re.compile(r"^(fit|fit_reverse_kl): \d+ steps in \d+\.\d s, loss -?\d+\.\d{3} -> -?\d+\.\d{3}$", re.M)
PNG_1x1 = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==")


def scripts_module(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def slider_cells(nb) -> list[int]:
    """Indices of the code cells that show a slider widget."""
    return [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code" and SLIDER_CALL.search(cell.source)]


# --- offline_outputs and the closing line, without a browser --------------------------------------

def executed_notebook() -> nbformat.NotebookNode:
    r"""A notebook as nbclient leaves it with ``store_widget_state=True``: a ``Demo.show`` box (a slider and a
    dropdown over an Image whose PNG is a stored buffer, and its hidden error line), a tqdm bar and its closing
    line, a button, and the playground's page (controls over an Image, no Output)."""
    def model(name, **state):
        return {"model_name": name, "model_module": "@jupyter-widgets/controls", "model_module_version": "2.0.0",
                "state": {"_model_name": name, **state}}

    def view(model_id, text):
        return nbformat.v4.new_output("execute_result", execution_count=1, data={
            WIDGET_VIEW: {"model_id": model_id, "version_major": 2, "version_minor": 0}, "text/plain": text})

    state = {
        "demo": model("VBoxModel", _dom_classes=["widget-interact", "flowlib-demo"],
                      children=["IPY_MODEL_slope", "IPY_MODEL_base", "IPY_MODEL_picture", "IPY_MODEL_error"]),
        "slope": model("FloatSliderModel", description="slope", value=-1.5, readout_format=".2f"),
        "base": model("DropdownModel", description="base", index=1, _options_labels=["uniform", "gaussian"]),
        "picture": {**model("ImageModel", format="png", description=""),
                    "buffers": [{"data": PNG_1x1, "encoding": "base64", "path": ["value"]}]},  # where nbclient puts them
        "error": model("HTMLModel", value="", description=""),
        "bar": model("HBoxModel", children=["IPY_MODEL_left", "IPY_MODEL_progress", "IPY_MODEL_right"]),
        "left": model("HTMLModel", value="fit:  40%"),
        "progress": model("FloatProgressModel", value=40, max=100),
        "right": model("HTMLModel", value="40/100"),
        "button": model("ButtonModel", description="go"),
        # the playground: a box of boxes of controls, an Image (its value a buffer, as nbclient stores it), a status line
        "page": model("VBoxModel", children=["IPY_MODEL_row", "IPY_MODEL_image", "IPY_MODEL_status"]),
        "row": model("HBoxModel", children=["IPY_MODEL_train"]),
        "train": model("ButtonModel", description="Train"),
        "image": {**model("ImageModel", format="png"), "buffers": [{"data": PNG_1x1, "encoding": "base64", "path": ["value"]}]},
        "status": model("HTMLModel", value="RealNVP on checkerboard: paused, step 0"),
    }
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("LINE.show()", outputs=[view("demo", "Shown(children=(FloatSlider(...")]),
        nbformat.v4.new_code_cell("fit(flow, data)", outputs=[
            nbformat.v4.new_output("display_data", data={WIDGET_VIEW: {"model_id": "bar"}, "text/plain": "fit:   0%|"}),
            nbformat.v4.new_output("stream", name="stdout", text="fit: 100 steps in 1.0 s, loss 3.000 -> 1.000\n")]),
        nbformat.v4.new_code_cell("Button()", outputs=[view("button", "Button(description='go')")]),
        nbformat.v4.new_code_cell("playground.widget", outputs=[view("page", "VBox(children=(HBox(children=(Button(...")]),
    ])
    nb.metadata.widgets = {"application/vnd.jupyter.widget-state+json": {"state": state, "version_major": 2,
                                                                          "version_minor": 0}}
    return nb


def test_offline_outputs_turns_sliders_into_stills_and_drops_progress_bars():
    nb = executed_notebook()
    counts = scripts_module("offline_outputs").offline_outputs(nb)
    assert counts == {"stills": 2, "progress bars": 1, "other widgets": 1}
    assert "widgets" not in nb.metadata
    demo, training, button, page = (cell.outputs for cell in nb.cells)
    assert [out.output_type for out in demo] == ["stream", "display_data"]
    assert demo[0].text == "A still at slope = -1.50, base = gaussian: run the notebook to move the sliders.\n"
    assert "image/png" in demo[1].data and WIDGET_VIEW not in demo[1].data
    assert [out.output_type for out in training] == ["stream"]  # the bar's 0% frame is gone, the closing line stays
    assert WIDGET_VIEW in button[0].data  # neither a picture nor a bar: left as it was
    assert [out.output_type for out in page] == ["stream", "display_data"]  # a live page (the playground): its still
    assert page[0].text.startswith("A still of a live widget: it needs a running kernel.") and "mybinder.org" in page[0].text
    assert list(page[1].data) == ["image/png"]
    nbformat.validate(nb)


def test_a_live_page_links_its_own_notebook_on_binder():
    nb = executed_notebook()
    scripts_module("offline_outputs").offline_outputs(nb, "08_playground.ipynb")
    assert "?urlpath=lab/tree/notebooks/08_playground.ipynb" in nb.cells[-1].outputs[0].text


def test_offline_outputs_needs_the_widget_state():
    nb = executed_notebook()
    del nb.metadata["widgets"]
    with pytest.raises(ValueError, match="store_widget_state=True"):
        scripts_module("offline_outputs").offline_outputs(nb)


def test_fit_ends_with_one_closing_line(capsys):
    torch.manual_seed(0)
    flow, data = make_realnvp(2, layers=2, hidden=(8,)), toy_data("eight_gaussians", 64)
    losses = fit(flow, data, steps=3, batch_size=16, progress=True)
    out = capsys.readouterr().out
    assert CLOSING_LINE.fullmatch(out.strip()), out
    assert f"loss {losses[0]:.3f} -> {losses[-1]:.3f}" in out
    fit(flow, data, steps=3, batch_size=16, progress=False)
    assert capsys.readouterr().out == ""


# --- in the browser ------------------------------------------------------------------------------

# For the cells `indices` of the page's notebook (CELLS: one node per notebook cell, in order): how many
# loaded, visible images each shows; and whether a widget repr, a 0% bar or a widget error is on the page.
JS_OFFLINE = """(indices) => {
  const cellNodes = CELLS;
  const text = document.body.innerText;
  const loaded = (node) => [...node.querySelectorAll('img')]
    .filter(img => img.complete && img.naturalWidth > 0 && img.getBoundingClientRect().width > 0).length;
  return {cells: cellNodes.length, images: indices.map(i => cellNodes[i] ? loaded(cellNodes[i]) : -1),
          widgetText: /\\b(interactive|Shown)\\(children=/.test(text), progressAtZero: /\\b0%\\|/.test(text),
          widgetErrors: (text.match(/Error displaying widget|Loading widget/g) || []).length};
}"""
NBCONVERT_CELLS = "[...document.querySelectorAll('main > .jp-Cell')]"
LAB_CELLS = "window.jupyterapp.shell.currentWidget.content.widgets.map(w => w.node)"
JS_NBCONVERT, JS_LAB = (JS_OFFLINE.replace("CELLS", cells) for cells in (NBCONVERT_CELLS, LAB_CELLS))
# The notebook is open and all its cells are in the page (its kernel may still be starting: not needed).
JS_OPENED = """([name, cells]) => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  return !!(w && w.context && w.context.isReady && w.context.path.endsWith(name) && w.content
            && w.content.widgets.length === cells);
}"""
JS_LAB_ERRORS = """() => { const model = window.jupyterapp.shell.currentWidget.content.model; const found = [];
  for (let i = 0; i < model.cells.length; i++) {
    const cell = model.cells.get(i);
    if (cell.type !== 'code') continue;
    for (const o of cell.outputs.toJSON()) if (o.output_type === 'error') found.push(`cell ${i}: ${o.ename}`);
  }
  return found; }"""


def problems(name: str, nb, seen: dict) -> list[str]:
    found = []
    if seen["cells"] != len(nb.cells):
        found.append(f"{name}: the page shows {seen['cells']} cells, the notebook has {len(nb.cells)}")
    for index, images in zip(slider_cells(nb), seen["images"]):
        if images < 1:
            found.append(f"{name}: no picture at the slider of cell {index} ({nb.cells[index].source.splitlines()[-1]!r})")
    if seen["widgetText"]:
        found.append(f"{name}: a widget's text 'interactive(children=...' or 'Shown(children=...' is on the page")
    if seen["progressAtZero"]:
        found.append(f"{name}: a progress bar reads 0%")
    if seen["widgetErrors"]:
        found.append(f"{name}: {seen['widgetErrors']} widgets show 'Error displaying widget' or 'Loading widget'")
    return found


def screenshot(page, cells: str, indices: list[int], name: str) -> None:
    """Save the page scrolled to the first slider cell (``cells``: the page's cell nodes, a JS expression)."""
    if indices:
        page.evaluate(f"(i) => ({cells})[i].scrollIntoView({{block: 'center'}})", indices[0])
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def raw_widget_notebook(path: Path) -> Path:
    r"""A slider stored as before ``offline_outputs``: only a widget view and its text repr."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("LINE.show([-2.0, 0.0, 2.0])", execution_count=1, outputs=[
        nbformat.v4.new_output("execute_result", execution_count=1, data={
            WIDGET_VIEW: {"model_id": "0" * 32, "version_major": 2, "version_minor": 0},
            "text/plain": "Shown(children=(FloatSlider(value=1.0, description='slope'), Image(value=b'...'), HTML()))"})])])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def browser():
    with chromium() as instance:
        yield instance


def nbconvert_view(browser, path: Path, html_dir: Path) -> list[str]:
    r"""``path`` rendered by nbconvert's HTML exporter (nbviewer's renderer), opened with no network."""
    from nbconvert import HTMLExporter

    nb = nbformat.read(path, as_version=4)
    html, _ = HTMLExporter().from_notebook_node(nb)
    page_path = html_dir / f"{path.stem}.html"
    page_path.write_text(html, encoding="utf-8")
    context = browser.new_context(viewport=VIEWPORT)
    try:
        # The template fetches require.js and MathJax from CDNs: offline here, as on a train.
        context.route(re.compile(r"^https?://"), lambda route: route.abort())
        page = context.new_page()
        page.goto(page_path.as_uri(), wait_until="load")
        page.wait_for_function("() => [...document.images].every(img => img.complete)", timeout=30_000)
        found = problems(f"{path.name} (nbconvert HTML)", nb, page.evaluate(JS_NBCONVERT, slider_cells(nb)))
        screenshot(page, NBCONVERT_CELLS, slider_cells(nb), f"{path.stem}-nbconvert.png")
        return found
    finally:
        context.close()


@pytest.mark.slow
@pytest.mark.parametrize("path", COURSE, ids=lambda path: path.name)
def test_nbconvert_html_shows_a_picture_at_every_slider(browser, path, tmp_path, capsys):
    start = time.monotonic()
    found = nbconvert_view(browser, path, tmp_path)
    with capsys.disabled():
        print(f"\noffline nbconvert {path.name:40s} {len(slider_cells(nbformat.read(path, as_version=4)))} sliders, "
              f"{time.monotonic() - start:.1f} s")
    assert found == []


@pytest.mark.slow
def test_nbconvert_check_fails_on_a_raw_widget_output(browser, tmp_path):
    found = nbconvert_view(browser, raw_widget_notebook(tmp_path / "raw.ipynb"), tmp_path)
    assert any("no picture at the slider of cell 0" in p for p in found), found
    assert any("Shown(children=" in p for p in found), found


@pytest.fixture(scope="module")
def lab(browser, tmp_path_factory):
    root = tmp_path_factory.mktemp("offline-root")
    if NOTEBOOKS.is_dir():  # copies: JupyterLab may autosave
        shutil.copytree(NOTEBOOKS, root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    (root / "fixtures").mkdir()
    raw_widget_notebook(root / "fixtures" / "raw.ipynb")
    with JupyterLab(root, tmp_path_factory.mktemp("offline-lab")) as server:
        yield server


def lab_view(browser, lab: JupyterLab, name: str) -> list[str]:
    r"""``name`` (a path under the lab's root) opened in JupyterLab and left unrun: its stored outputs as
    a student sees them before running anything (an untrusted notebook, as any freshly cloned one)."""
    nb = nbformat.read(lab.root / name, as_version=4)
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(lab.url(f"lab/workspaces/offline-{Path(name).stem}/tree/{name}"))
        page.wait_for_function(JS_OPENED, arg=[Path(name).name, len(nb.cells)], timeout=180_000, polling=250)
        indices = slider_cells(nb)
        # Stored outputs render asynchronously: wait until every slider cell's image has loaded (or 20 s).
        deadline = time.monotonic() + 20
        while True:
            seen = page.evaluate(JS_LAB, indices)
            if all(n >= 1 for n in seen["images"]) or time.monotonic() > deadline:
                break
            time.sleep(0.25)
        found = problems(f"{name} (JupyterLab, not run)", nb, seen)
        found += [f"{name}: error output, {e}" for e in page.evaluate(JS_LAB_ERRORS)]
        screenshot(page, LAB_CELLS, indices, f"{Path(name).stem}-jupyterlab.png")
        return found
    finally:
        try:
            page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")
        except Exception:  # the page may be gone; the server's exit stops the kernel anyway
            pass
        context.close()


@pytest.mark.slow
@pytest.mark.parametrize("path", COURSE, ids=lambda path: path.name)
def test_jupyterlab_shows_a_picture_at_every_slider_before_running(browser, lab, path, capsys):
    start = time.monotonic()
    found = lab_view(browser, lab, f"notebooks/{path.name}")
    with capsys.disabled():
        print(f"\noffline JupyterLab {path.name:40s} opened and checked in {time.monotonic() - start:.1f} s")
    assert found == []


@pytest.mark.slow
def test_jupyterlab_check_fails_on_a_raw_widget_output(browser, lab):
    found = lab_view(browser, lab, "fixtures/raw.ipynb")
    assert any("no picture at the slider of cell 0" in p for p in found), found
