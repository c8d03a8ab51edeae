r"""Make an executed notebook's outputs readable without a kernel (GitHub, nbviewer, a notebook not yet run).

A widget's output in a saved notebook is only a model id (``application/vnd.jupyter.widget-view+json``)
and a ``text/plain`` repr taken when it was displayed. With no kernel, and without the widget state in
the notebook's metadata (which we do not commit: GitHub refuses to render a notebook whose
``metadata.widgets`` lacks a key it expects), every renderer shows that repr:
``Shown(children=(FloatSlider(...`` for a slider demo, ``fit:   0%|`` for a progress bar.

``offline_outputs(nb)`` rewrites, from the widget state that nbclient stored while executing
(``store_widget_state=True``), each widget output of a finished run:

- a slider demo (``Demo.show``'s box, CSS class ``flowlib-demo``: sliders over an ``ipywidgets.Image``):
  a one-line caption with its sliders' values, then its image as the run left it (the picture at the
  initial setting), from the PNG bytes nbclient stored as the image's buffer. No widget view is kept,
  so JupyterLab, trusted or not, shows the picture too; running the cell replaces it with the live widget.
- a progress bar (a box holding a ``FloatProgress``/``IntProgress``, e.g. tqdm's): dropped, since it
  only recorded its first frame (0%); ``flowlib.fit`` prints a closing line after its bar.
- any other widget that holds an ``Image`` (notebook 08's playground): a line saying that
  it is live and needs a kernel, with the Binder link, then the image it showed at the end of the run.
- any other widget: left as it is (tests/notebooks/test_notebooks_committed.py fails on its repr).

Then it removes ``metadata.widgets``. It raises if a notebook has widget outputs but no widget state.
"""

from __future__ import annotations

import nbformat

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
CAPTION = "A still at {values}: run the notebook to move the sliders."
LIVE_CAPTION = ("A still of a live widget: it needs a running kernel. Run the notebook (JupyterLab, or Binder: {binder}) "
                "to use it.")


def offline_outputs(nb, name: str | None = None) -> dict[str, int]:
    r"""Rewrite ``nb``'s widget outputs in place (see the module docstring); return how many widgets
    became stills, how many progress bars were dropped, and how many widgets were left as they were.
    ``name`` (the notebook's file name in notebooks/) picks the Binder link of a live widget's line."""
    widgets = nb.metadata.pop("widgets", None) or {}
    entries = widgets.get(WIDGET_STATE, {}).get("state", {})
    # each model's state, with its binary buffers (an Image's PNG) beside it under "buffers", as nbclient stores them
    state = {model_id: {**entry["state"], "buffers": entry.get("buffers", [])} for model_id, entry in entries.items()}
    counts = {"stills": 0, "progress bars": 0, "other widgets": 0}
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            outputs = []
            for output in cell.outputs:
                new = _offline(output, state, counts, f"cell {index}")
                outputs += _live_still(output, entries, name, counts) if new == [output] else new
            cell.outputs = outputs
    return counts


def _live_still(output, entries: dict, name: str | None, counts: dict) -> list:
    r"""A widget that is not a demo and holds an Image (the playground): the ``LIVE_CAPTION`` line and the
    last image it showed; any other output: itself."""
    view = output.get("data", {}).get(WIDGET_VIEW)
    if view is None:
        return [output]
    found, todo = [], [view["model_id"]]
    while todo:  # every model inside the widget, depth first
        entry = entries.get(todo.pop(0), {})
        found.append(entry)
        todo += [_model_id(child) for child in entry.get("state", {}).get("children", [])]
    pictures = [buffer["data"] for entry in found if entry.get("state", {}).get("_model_name") == "ImageModel"
                and entry["state"].get("format") == "png" for buffer in entry.get("buffers", [])
                if buffer.get("path") == ["value"] and buffer.get("encoding") == "base64"]
    if not pictures:
        return [output]
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from sync_links import binder_url

    counts["other widgets"] -= 1
    counts["stills"] += 1
    line = nbformat.v4.new_output("stream", name="stdout", text=LIVE_CAPTION.format(binder=binder_url(name)) + "\n")
    return [line, _compact(nbformat.v4.new_output("display_data", data={"image/png": pictures[0]}))]


def _offline(output, state: dict, counts: dict, where: str) -> list:
    r"""What replaces one output: itself (not a widget, or a widget with nothing to show), nothing (a
    progress bar), or a caption and the picture (a slider demo)."""
    view = output.get("data", {}).get(WIDGET_VIEW)
    if view is None:
        return [output]
    if view["model_id"] not in state:
        raise ValueError(f"{where}: widget {view['model_id']} has no stored state; execute with nbclient's "
                         "store_widget_state=True before calling offline_outputs")
    box = state[view["model_id"]]
    parts = [state.get(_model_id(child), {}) for child in box.get("children", [])]
    if any(part.get("_model_name", "").endswith("ProgressModel") for part in [box, *parts]):
        counts["progress bars"] += 1
        return []
    shown = []  # a slider demo's picture; nothing of any other widget (no notebook builds an interact, issue 28)
    if "flowlib-demo" in box.get("_dom_classes", ()):
        shown = [_picture(part) for part in parts if part.get("_model_name") == "ImageModel" and _picture(part)]
    if not shown:
        counts["other widgets"] += 1
        return [output]
    counts["stills"] += 1
    values = ", ".join(text for text in map(_control_text, parts) if text)
    caption = [nbformat.v4.new_output("stream", name="stdout", text=CAPTION.format(values=values) + "\n")] if values else []
    return caption + [_compact(nbformat.from_dict(out)) for out in shown]


def _picture(part: dict):
    r"""A ``display_data`` output of an ``ImageModel``'s PNG (its ``value`` buffer, which nbclient stores base64
    encoded under ``buffers``), or ``None`` if it holds no PNG."""
    if part.get("format", "png") != "png":
        return None
    data = next((b["data"] for b in part.get("buffers", [])
                 if b.get("path") == ["value"] and b.get("encoding") == "base64"), None)
    if not data:
        return None
    return nbformat.v4.new_output("display_data", data={"image/png": data, "text/plain": "<the demo's picture>"})


def _compact(output):
    r"""``output`` with its PNG as a 256-colour palette PNG at zlib's best level: about 2.6 times smaller
    than the live widget's fast-to-encode RGBA PNG (measured on notebook 01's four stills: 313 kB of
    base64 against 120 kB), and to the eye the same picture (Floyd-Steinberg dithering)."""
    import base64
    import io

    from PIL import Image

    if "image/png" in output.get("data", {}):
        image = Image.open(io.BytesIO(base64.b64decode(output.data["image/png"]))).convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", image.size, "white"), image).convert("RGB")
        buffer = io.BytesIO()
        image.quantize(256).save(buffer, format="png", optimize=True)
        output.data["image/png"] = base64.b64encode(buffer.getvalue()).decode("ascii")
    return output


def _model_id(reference) -> str:
    return reference.removeprefix("IPY_MODEL_") if isinstance(reference, str) else ""


def _control_text(part: dict) -> str:
    r"""``"description = value"`` of a slider, dropdown or checkbox, as its readout shows it; ``""`` for
    anything else (an Output, a layout)."""
    description = part.get("description", "")
    if not description or part.get("_model_name") == "OutputModel":
        return ""
    if "_options_labels" in part:  # Dropdown, SelectionSlider, ...: the state holds the index
        labels, index = part["_options_labels"], part.get("index")
        value = labels[index] if isinstance(index, int) and 0 <= index < len(labels) else ""
    elif "value" in part:
        value = part["value"]
        try:
            value = format(value, part.get("readout_format") or "")
        except (TypeError, ValueError):  # a d3 format Python does not know: the plain value
            value = str(value)
    else:
        return ""
    return f"{description} = {value}"
