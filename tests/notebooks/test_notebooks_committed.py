"""Every committed notebook was executed top to bottom and stored with its outputs.

Strict nbval compares stored outputs with fresh ones, so it only means something when the stored
outputs come from one full run (``scripts/run_notebooks.py``). With no notebooks yet, there are no
cases (pytest reports the empty parameter set as skipped).
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest
from notebook_sliders import SHOW_CALL

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


# A slider cell: NAME.show(...) of a flowlib Demo (no notebook builds an interact: test_concurrent_run.py).
SLIDER_CALL = SHOW_CALL
# A training cell whose loop shows a progress bar: fit, fit_reverse_kl or distil without progress=False.
TRAINING_CALL = re.compile(r"\b(fit|fit_reverse_kl|distil)\(")
CLOSING_LINE = re.compile(r"^(fit|fit_reverse_kl): \d+ steps in \d+\.\d s, loss -?\d+\.\d{3} -> -?\d+\.\d{3}$", re.M)
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def scripts_module(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def colab_cell_source() -> str:
    return scripts_module("colab_cell").colab_cell_source()


def texts(output) -> list[str]:
    """What a renderer may show as text: a stream's text, an output's text/plain."""
    found = [output.get("text", "")] if output.get("output_type") == "stream" else []
    plain = output.get("data", {}).get("text/plain")
    if plain is not None:
        found.append(plain)
    return ["".join(text) if isinstance(text, list) else text for text in found]


def source(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


@pytest.fixture(params=NOTEBOOKS, ids=lambda path: path.name)
def notebook(request):
    return json.loads(request.param.read_text(encoding="utf-8"))


def test_named_nn_topic_with_a_python3_kernel(notebook, request):
    path = request.node.callspec.params["notebook"]
    stem = path.stem
    # NN_topic, or NNb_topic for the second notebook of one slide section (04b: RealNVP on images)
    assert re.fullmatch(r"\d\d[a-z]?_[a-z0-9_]+", stem), stem
    assert notebook["nbformat"] == 4
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"


def test_stored_as_jupyterlab_saves_it(notebook, request):
    """Opening a notebook in JupyterLab must not change it (else autosave rewrites it and `git pull`
    conflicts): the file is exactly what JupyterLab writes once its kernel started (scripts/notebook_file.py;
    the browser test test_open_save_browser.py opens and saves each one)."""
    path = request.node.callspec.params["notebook"]
    text = path.read_text(encoding="utf-8")
    assert text == scripts_module("notebook_file").as_saved(json.loads(text)), (
        f"{path.name} is not stored as JupyterLab saves it: write it with scripts/notebook_file.py (run_notebooks.py does)")


def test_kernelspec_is_what_jupyterlab_writes_for_ipykernel():
    """JupyterLab writes the started kernelspec's display name; ipykernel installs `python3` as this one."""
    import ipykernel.kernelspec

    spec = ipykernel.kernelspec.get_kernel_dict()
    expected = {"display_name": spec["display_name"], "language": spec["language"], "name": "python3"}
    assert scripts_module("notebook_file").KERNELSPEC == expected


def test_executed_top_to_bottom(notebook):
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    counts = [cell.get("execution_count") for cell in code]
    assert counts == list(range(1, len(code) + 1)), f"execution counts {counts}: re-run with scripts/run_notebooks.py"


def test_no_error_outputs(notebook):
    errors = [(i, out.get("ename"), out.get("evalue")) for i, cell in enumerate(notebook["cells"])
              for out in cell.get("outputs", []) if out.get("output_type") == "error"]
    assert errors == []


def test_no_stored_widget_state(notebook):
    assert "widgets" not in notebook["metadata"]


def test_outputs_were_stored(notebook):
    """A notebook committed without outputs passes strict nbval comparing nothing."""
    assert any(cell.get("outputs") for cell in notebook["cells"][1:] if cell["cell_type"] == "code")


def test_first_cell_is_the_colab_install_cell(notebook):
    first = notebook["cells"][0]
    assert first["cell_type"] == "code"
    assert source(first) == colab_cell_source()
    assert first.get("outputs") == []  # it prints nothing outside Colab


def test_every_slider_shows_a_still_without_a_kernel(notebook):
    """GitHub, nbviewer and a notebook not yet run show stored outputs only: a slider cell's must be its
    caption and picture at the initial setting (scripts/offline_outputs.py), not a widget view, whose
    model exists only in a running kernel, with its text repr `Shown(children=(...` (`interactive(children=(...`
    for a plain interact)."""
    caption = scripts_module("offline_outputs").CAPTION.split("{")[0]
    missing = []
    for i, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "code" or not SLIDER_CALL.search(source(cell)):
            continue
        outputs = cell.get("outputs", [])
        pictures = sum("image/png" in out.get("data", {}) for out in outputs)
        views = sum(WIDGET_VIEW in out.get("data", {}) for out in outputs)
        captioned = any(text.startswith(caption) for out in outputs for text in texts(out))
        if pictures < 1 or views or not captioned:
            missing.append(f"cell {i}: {pictures} pictures, {views} widget views, caption {captioned}")
    assert missing == [], "re-run with scripts/run_notebooks.py"


def test_every_slider_cell_is_ignored_by_nbval(notebook):
    """A slider cell stores its still (caption and picture) but a run shows the live widget: strict nbval
    must not compare them (the cell's tag ``nbval-ignore-output``)."""
    untagged = [i for i, cell in enumerate(notebook["cells"]) if cell["cell_type"] == "code"
                and SLIDER_CALL.search(source(cell)) and "nbval-ignore-output" not in cell["metadata"].get("tags", [])]
    assert untagged == [], "tag these cells nbval-ignore-output"


UNFINISHED = re.compile(r"\b(interactive|Shown)\(children=|\b0%\|")  # a widget's repr, a bar frozen at 0%


def widget_classes() -> list[str]:
    """The names of every widget class ipywidgets exports (their reprs read `NAME(...`), `interactive`, and
    `Shown` (Demo.show's box)."""
    import inspect

    import ipywidgets

    return sorted({name for name, value in vars(ipywidgets).items()
                   if inspect.isclass(value) and issubclass(value, ipywidgets.Widget)} | {"interactive", "Shown"})


WIDGET_REPR = re.compile(r"^\s*(?:{})\(".format("|".join(widget_classes())))


def test_widget_repr_pattern():
    assert WIDGET_REPR.match("VBox(children=(HBox(children=(Dropdown(description='model'")
    assert WIDGET_REPR.match("interactive(children=(FloatSlider(value=0.5")
    assert WIDGET_REPR.match("Shown(children=(FloatSlider(value=0.5")
    assert WIDGET_REPR.match("Button(description='go', style=ButtonStyle())")
    assert not WIDGET_REPR.match("<Figure size 640x480 with 1 Axes>") and not WIDGET_REPR.match("Flow(layers=3)")


def test_no_widget_text_or_view_without_a_kernel(notebook):
    """No stored output is a widget: without a kernel (GitHub, nbconvert, JupyterLab before a run) a widget view
    shows its text repr (`VBox(children=(HBox(...`). A slider is a still with its caption, a progress bar is
    dropped, a live page (the playground) is a still with a line saying it needs a kernel (offline_outputs.py)."""
    found = []
    for i, cell in enumerate(notebook["cells"]):
        for out in cell.get("outputs", []):
            if WIDGET_VIEW in out.get("data", {}):
                found.append(f"cell {i}: a widget view")
            found += [f"cell {i}: {text[:70]!r}" for text in texts(out) if WIDGET_REPR.match(text)]
    assert found == [], "re-run with scripts/run_notebooks.py (scripts/offline_outputs.py makes the stills)"


def test_no_output_reads_as_unfinished(notebook):
    """No widget repr and no progress bar frozen at 0% in a stored output; each training cell that shows
    a bar ends with flowlib's closing line (steps, seconds, loss from -> to)."""
    bad, unclosed = [], []
    for i, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "code":
            continue
        shown = [text for out in cell.get("outputs", []) for text in texts(out)]
        bad += [f"cell {i}: {text[:60]!r}" for text in shown if UNFINISHED.search(text)]
        code = source(cell)
        if TRAINING_CALL.search(code) and "progress=False" not in code and not any(CLOSING_LINE.search(t) for t in shown):
            unclosed.append(i)
    assert bad == []
    assert unclosed == [], "training cells without a closing line"
