r"""Helpers for the slider tests that run notebooks: which notebooks have sliders, how to start a kernel
of this very Python, and what to run inside that kernel to find and move the sliders.

The kernel side finds its widgets through ``demo_harness.shown()`` (every widget ``Demo.show`` built,
in order), so nothing in a notebook has to be named for the tests. Used by ``test_sliders_kernel.py``
(nbclient) and ``test_sliders_browser.py`` (JupyterLab).
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"

# How long one notebook may take to run (a cell in the kernel layer, "run all" in the browser layer):
# generous, the budget is 60 s on 2 idle cores; raise it on a slow or crowded machine.
TIMEOUT_S = float(os.environ.get("SLIDER_TEST_TIMEOUT_S", "600"))

# A Demo widget is built by a call like `LINEAR_MAP.show(A)`; matplotlib's `plt.show()` and
# `fig.show()` are not demos.
SHOW_CALL = re.compile(r"\b(?!(?:plt|fig|figure|self)\.)(\w+)\.show\(")


def shows_a_demo(path: Path) -> bool:
    """Whether a code cell of the notebook calls ``NAME.show(`` for a NAME other than plt, fig."""
    return SHOW_CALL.search(code_of(path)) is not None


def notebooks_with_sliders(folder: Path = NOTEBOOKS) -> list[Path]:
    """The notebooks in ``folder`` whose code shows a demo (``NAME.show(``), sorted by name."""
    return [path for path in sorted(folder.glob("*.ipynb")) if shows_a_demo(path)]


def code_of(path: Path) -> str:
    """All code cells of a notebook, joined."""
    nb = nbformat.read(path, as_version=4)
    return "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")


def kernel_env() -> dict[str, str]:
    """The environment for a notebook kernel: ours, minus MPLBACKEND (it would disable the inline
    backend, and with it every image the sliders draw)."""
    return {key: value for key, value in os.environ.items() if key != "MPLBACKEND"}


def write_kernelspec(folder: Path) -> Path:
    r"""Write a ``python3`` kernelspec for this interpreter under ``folder/kernels`` and return ``folder``
    (put it first on ``JUPYTER_PATH``): a stray ``python3`` kernelspec elsewhere on the machine (in
    ``~/.local/share/jupyter``, say) would otherwise run the notebooks with another Python."""
    spec_dir = folder / "kernels" / "python3"
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3 (ipykernel)", "language": "python", "metadata": {"debugger": True}}
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1))
    return folder


def current_env_kernel_manager():
    """An nbclient-ready kernel manager whose ``python3`` kernel is this interpreter."""
    import ipykernel.kernelspec
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    class CurrentEnvKernelSpecs(KernelSpecManager):
        def get_kernel_spec(self, kernel_name):
            return self.kernel_spec_class(resource_dir=ipykernel.kernelspec.RESOURCES,
                                          **ipykernel.kernelspec.get_kernel_dict())

    return AsyncKernelManager(kernel_name="python3", kernel_spec_manager=CurrentEnvKernelSpecs())


# Runs inside the notebook's kernel after the notebook ran; every function prints one JSON line. The
# images are read on the frontend's side (the widget state nbclient received, or the page), by the ids of
# each demo's Image and error line.
PROBE = f"_ST_TESTS = {str(Path(__file__).resolve().parents[1])!r}\n" + r"""
import json as _st_json, time as _st_time
import sys as _st_sys
_st_sys.path.insert(0, _ST_TESTS)  # the harness lives with the tests
from demo_harness import settings as _st_demo_settings, shown as _st_shown

_st_original, _st_settings = {}, {}

def _st_list():
    report = []
    for index, (name, demo, widget) in enumerate(_st_shown()):
        original = _st_original.setdefault(index, widget.values())
        settings = _st_settings.setdefault(index, _st_demo_settings(demo))
        moved = [sorted(k for k, v in s.items() if repr(v) != repr(original[k])) for s in settings]
        report.append({"name": name, "image_id": widget.image.model_id, "message_id": widget.message.model_id,
                       "sliders": list(widget.sliders),
                       "descriptions": [c.description for c in widget.sliders.values()],
                       "settings": [repr(s) for s in settings], "moved": moved})
    print(_st_json.dumps(report))

def _st_controls():
    print(_st_json.dumps([{"name": name, "sliders": list(widget.sliders),
                           "descriptions": [c.description for c in widget.sliders.values()]}
                          for name, demo, widget in _st_shown()]))

def _st_apply(index, setting_index=None):
    # Set widget `index` to its demo's settings()[setting_index] (None: its values when first listed).
    name, demo, widget = _st_shown()[index]
    setting = _st_original[index] if setting_index is None else _st_settings[index][setting_index]
    start = _st_time.perf_counter()
    moved = []
    for key, control in widget.sliders.items():
        value = setting[key]
        if repr(control.value) != repr(value):
            control.value = value  # redraws synchronously
            moved.append(key)
    print(_st_json.dumps({"seconds": _st_time.perf_counter() - start, "moved": moved}))
"""


def summarize(png: str | None, message: str) -> dict:
    """The errors (the error line's text, if any) and the PNG hashes (one, or none) of a demo's picture:
    ``png`` its image's value as base64 text, ``message`` its error line's HTML."""
    pngs = [hashlib.sha1(png.encode()).hexdigest()] if png else []
    return {"errors": [html.unescape(re.sub(r"<[^>]+>", "", message)).strip()[-400:]] if message else [], "pngs": pngs}


@dataclass
class SliderReport:
    """What moving every slider of one notebook in its kernel showed."""

    notebook: str
    demos: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    redraw_seconds: list[float] = field(default_factory=list)  # one slider moved: the kernel's own time
    checks: int = 0  # exercise cells run (a solved student copy's: test_sliders_kernel.py)

    def median_ms(self) -> float:
        return 1000 * statistics.median(self.redraw_seconds) if self.redraw_seconds else float("nan")


def check_widgets(run, picture, notebook: str) -> SliderReport:
    r"""Move every slider of every Demo widget through its demo's ``settings()`` and back, in a kernel
    where the notebook ran. ``run(code) -> str`` executes ``code`` there and returns its stdout;
    ``picture(widget) -> summarize(...)`` is what the frontend shows of the widget listed by ``_st_list``
    (its ``image_id`` and ``message_id``).

    A problem is recorded when a widget shows an error or no image, when a slider moves and no setting
    of it changes the image, and when restoring the initial values does not bring the original image
    back.
    """
    report = SliderReport(notebook)
    run(PROBE)
    widgets = json.loads(run("_st_list()"))
    if not widgets:
        report.problems.append(f"{notebook}: a cell calls NAME.show( but demo_harness.shown() is empty: "
                               "no widget was built by Demo.show")
    for index, widget in enumerate(widgets):
        name = f"{notebook}: widget {index} ({widget['name']})"
        report.demos.append(widget["name"])
        first = picture(widget)
        original = first["pngs"]
        if first["errors"] or len(original) != 1:
            report.problems.append(f"{name}: first render shows errors {first['errors']} and {len(original)} images "
                                   "(expected 1)")
            continue
        changed = dict.fromkeys(widget["sliders"], False)
        for setting_index, (setting, moved) in enumerate(zip(widget["settings"], widget["moved"])):
            if not moved:
                continue
            applied = json.loads(run(f"_st_apply({index}, {setting_index})"))
            shown = picture(widget)
            if shown["errors"] or len(shown["pngs"]) != 1:
                report.problems.append(f"{name}: setting {setting} shows errors {shown['errors']} "
                                       f"and {len(shown['pngs'])} images (expected 1)")
                continue
            if len(moved) == 1 and len(applied["moved"]) == 1:
                report.redraw_seconds.append(applied["seconds"])
            if len(moved) == 1 and shown["pngs"] != original:
                changed[moved[0]] = True
        for slider, did_change in changed.items():
            tried = [s for s, m in zip(widget["settings"], widget["moved"]) if m == [slider]]
            if tried and not did_change:
                report.problems.append(f"{name}: slider {slider!r} never changed the image (tried {tried})")
        run(f"_st_apply({index})")
        restored = picture(widget)
        if restored["errors"] or restored["pngs"] != original:
            report.problems.append(f"{name}: restoring the initial slider values did not bring the original "
                                   f"image back (errors {restored['errors']}; a draw must be deterministic)")
    return report


def fixture_notebook(path: Path, broken: bool = False) -> Path:
    r"""Write a small notebook with one Demo (a View with two sliders, defined in the notebook) to ``path``.
    With ``broken=True`` its update raises ``ZeroDivisionError`` once the slope slider leaves 1: a slider
    callback that breaks only when a student moves it (the first render is fine)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A slider fixture for the tests"),
        nbformat.v4.new_code_cell(
            "import ipywidgets\nfrom flowlib.lessons.demo import Demo\nfrom flowlib.lessons.view import View\n\n"
            "class LineView(View):\n"
            "    def __init__(self, xs):\n"
            "        self.xs = xs\n"
            "        self.fig = self.figure(figsize=(3, 2))\n"
            "        ax = self.fig.add_subplot()\n"
            "        ax.set(xlim=(-2, 2), ylim=(-5, 5))\n"
            "        self.line = self.dynamic(ax.plot([], [])[0])\n\n"
            "    def update(self, slope=1.0, color='C0'):\n"
            + ("        if slope != 1.0:\n            1 / 0\n" if broken else "")
            + "        self.line.set_data(self.xs, [slope * x for x in self.xs])\n"
            "        self.line.set_color(color)\n\n"
            "def line_sliders():\n"
            "    return {'slope': ipywidgets.FloatSlider(value=1.0, min=-2.0, max=2.0, step=0.25, description='slope'),\n"
            "            'color': ipywidgets.Dropdown(options=['C0', 'C1'], description='color')}\n\n"
            "LINE = Demo(LineView, line_sliders)"),
        nbformat.v4.new_code_cell("LINE.show([-2.0, 0.0, 2.0])"),
    ]
    nbformat.write(nb, path)
    return path
