r"""Opening a committed notebook in JupyterLab and saving it changes nothing (issue 30, item 1).

One JupyterLab server (browser.py's: 127.0.0.1, a free port, a ``python3`` kernelspec for this very
Python, display name "Python 3 (ipykernel)" as ipykernel installs it) serves copies of three committed
notebooks (``COURSE``: why those) and of a student copy (scripts/strip_solutions.py). For each: open it, wait
until its kernel is idle (JupyterLab has then written the kernel's ``kernelspec`` and ``language_info`` into the
notebook's metadata), assert that the notebook is not marked unsaved, save it (``docmanager:save``,
what Ctrl-S runs), and assert that the file is byte-identical to the committed one. What JupyterLab
writes is in scripts/notebook_file.py, which every script that writes a notebook uses.

Slow (about 20-40 s a notebook on the loaded 2-core machine); skips without Chromium like the other
browser tests (fails under ``CI=true``). ``OPEN_SAVE_SETTLE_S`` (default 1.5) is how long the notebook
must stay clean after the kernel is idle.
"""

from __future__ import annotations

import difflib
import json
import os
import shutil
import time

import pytest
from browser import JS_READY, VIEWPORT, JupyterLab
from notebook_sliders import NOTEBOOKS
from test_notebooks_committed import scripts_module
from test_sliders_browser import browser  # noqa: F401  (the module's Chromium fixture)

pytestmark = pytest.mark.slow

SETTLE_S = float(os.environ.get("OPEN_SAVE_SETTLE_S", "1.5"))
# Every notebook is written by the same code (scripts/notebook_file.py), and test_notebooks_committed checks that
# each committed file is exactly what it writes; so the browser (20-40 s a notebook) opens the three that differ
# most in what JupyterLab could rewrite: the first (sliders and a Dropdown), the largest (04b: images, a
# Dropdown) and the playground (its own widgets), and one student copy.
COURSE = [p for p in sorted(NOTEBOOKS.glob("*.ipynb")) if p.name.startswith(("01_", "04b_", "08_"))]
STUDENT = "student-" + COURSE[0].name if COURSE else None  # one student copy: strip_solutions writes those

JS_DIRTY = """(name) => { const w = window.jupyterapp.shell.currentWidget;
  return w && w.context && w.context.path.endsWith(name) ? w.context.model.dirty : null; }"""


@pytest.fixture(scope="module")
def lab(browser, tmp_path_factory):  # noqa: F811
    root = tmp_path_factory.mktemp("open-save-root")
    for path in COURSE:  # copies: saving writes them
        shutil.copy(path, root / path.name)
    if STUDENT:
        strip = scripts_module("strip_solutions")
        notebook, _ = strip.strip(json.loads(COURSE[0].read_text(encoding="utf-8")))
        (root / STUDENT).write_text(strip.as_saved(notebook), encoding="utf-8")
    with JupyterLab(root, tmp_path_factory.mktemp("open-save-lab")) as server:
        yield server


def open_and_save(browser, lab: JupyterLab, name: str) -> tuple[bool | None, str, str]:  # noqa: F811
    r"""Open ``name`` in a fresh workspace, wait for its kernel, note whether it is marked unsaved, save it:
    (dirty before the save, the text before, the text after)."""
    path = lab.root / name
    before, modified = path.read_text(encoding="utf-8"), path.stat().st_mtime_ns
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(lab.url(f"lab/workspaces/os-{path.stem.replace('.', '-')}/tree/{name}"))
        page.wait_for_function(JS_READY, arg=name, timeout=180_000, polling=250)
        dirty, deadline = False, time.monotonic() + SETTLE_S
        while time.monotonic() < deadline and not dirty:  # the metadata is written just after the kernel starts
            dirty = page.evaluate(JS_DIRTY, name)
            time.sleep(0.1)
        page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
        deadline = time.monotonic() + 60
        while path.stat().st_mtime_ns == modified and time.monotonic() < deadline:
            time.sleep(0.2)
        assert path.stat().st_mtime_ns != modified, f"{name}: JupyterLab did not save within 60 s"
        page.wait_for_function("() => window.jupyterapp.shell.currentWidget.context.model.dirty === false", timeout=30_000)
        return dirty, before, path.read_text(encoding="utf-8")
    finally:
        try:
            page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")
        except Exception:  # the server's exit stops the kernel anyway
            pass
        context.close()


@pytest.mark.parametrize("name", [path.name for path in COURSE] + ([STUDENT] if STUDENT else []))
def test_opening_and_saving_changes_nothing(browser, lab, name):  # noqa: F811
    try:
        dirty, before, after = open_and_save(browser, lab, name)
    except Exception as error:
        raise AssertionError(f"{name}: {error}\nJupyterLab log:\n{lab.log_tail()}") from error
    diff = "".join(list(difflib.unified_diff(before.splitlines(True), after.splitlines(True), "committed",
                                             "saved by JupyterLab", n=2))[:60])
    assert after == before, f"{name}: JupyterLab's save changed the file (write it with scripts/notebook_file.py):\n{diff}"
    assert dirty is False, f"{name}: marked unsaved as soon as it was opened (dirty={dirty})"

