r"""Layer 3 of the slider tests: JupyterLab in a real browser (Python Playwright driving Chromium).

One JupyterLab server (127.0.0.1, a free port, a random token) serves temporary copies of the
notebooks. For each notebook: open it, clear its outputs, run all, and assert that no cell shows an
error, that every Demo widget the kernel built is on the page with all its sliders and an image, and
that moving one slider by keyboard and by dragging changes the drawn image (with no error in the
widget). A screenshot of each notebook goes to ``test-artifacts/browser/``; the time from key press
to new image (the median of five presses, back and forth) is printed per notebook (and written next to
the screenshot). Then, for each notebook with
sliders, in the same kernel: save, open the notebook as slides and drag a slider on a live slide
(``live_slides.py``; the deck walked from title to end: ``test_slides_browser.py``).

Without Chromium or Playwright these tests skip, saying how to enable them; with ``CI=true`` that is
a failure (``.ci/run`` installs chromium). Run just this layer: ``pytest tests/notebooks/test_sliders_browser.py``.
"""

from __future__ import annotations

import shutil

import pytest
from browser import KEY_PRESSES, BrowserReport, JupyterLab, check_notebook, chromium
from live_slides import check_live_slide
from notebook_sliders import NOTEBOOKS, ROOT, TIMEOUT_S, fixture_notebook, shows_a_demo

pytestmark = pytest.mark.slow  # `pytest -m "not slow"` leaves it out while iterating

ARTIFACTS = ROOT / "test-artifacts" / "browser"
COURSE = sorted(NOTEBOOKS.glob("*.ipynb"))


@pytest.fixture(scope="module")
def browser():
    with chromium() as instance:
        yield instance


@pytest.fixture(scope="module")
def lab(browser, tmp_path_factory):
    root = tmp_path_factory.mktemp("lab-root")
    if NOTEBOOKS.is_dir():  # copies: JupyterLab autosaves what it runs
        shutil.copytree(NOTEBOOKS, root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    (root / "fixtures").mkdir()
    fixture_notebook(root / "fixtures" / "sliders.ipynb")
    fixture_notebook(root / "fixtures" / "broken.ipynb", broken=True)
    with JupyterLab(root, tmp_path_factory.mktemp("lab")) as server:
        yield server


def summary(report: BrowserReport) -> str:
    if report.key_to_image_ms is None:
        key = "    (no slider moved)"
    else:
        key = (f"{report.key_to_image_ms:7.0f} ms (median of {len(report.key_presses_ms)}: "
               + ", ".join(f"{ms:.0f}" for ms in report.key_presses_ms) + ")")
    return (f"browser {report.notebook:40s} run all {report.run_seconds:6.1f} s, {report.widgets} widgets, "
            f"{report.sliders} sliders, key press to new image {key}")


def run_notebook(browser, lab, name: str, capsys, then=None) -> BrowserReport:
    stem = name.replace("/", "-").removesuffix(".ipynb")
    try:
        report = check_notebook(browser, lab, name, ARTIFACTS / f"{stem}.png", run_timeout_s=TIMEOUT_S, then=then)
    except Exception as error:
        raise AssertionError(f"{name}: {error}\nJupyterLab log:\n{lab.log_tail()}") from error
    with capsys.disabled():
        print("\n" + summary(report) + (f"\n{report.then}" if report.then else ""))
    (ARTIFACTS / f"{stem}.txt").write_text(summary(report) + "\n" + "".join(f"  {p}\n" for p in report.problems))
    return report


@pytest.mark.parametrize("path", COURSE, ids=lambda path: path.name)
def test_notebook_in_jupyterlab(browser, lab, path, capsys):
    name = f"notebooks/{path.name}"

    def live_slide(context, page, problems) -> str:
        return check_live_slide(context, page, lab, name, path, problems)

    report = run_notebook(browser, lab, name, capsys, then=live_slide if shows_a_demo(path) else None)
    assert not report.problems, f"{path.name} in JupyterLab:\n" + "\n".join(report.problems)
    if shows_a_demo(path):
        assert report.widgets >= 1, f"{path.name} shows a demo, but no interactive widget is on the page"


def test_fixture_notebook_in_jupyterlab(browser, lab, capsys):
    """The harness itself: one widget, one slider (and a dropdown), moved by key and by drag."""
    report = run_notebook(browser, lab, "fixtures/sliders.ipynb", capsys)
    assert report.problems == []
    assert (report.widgets, report.sliders) == (1, 1)
    assert report.key_to_image_ms is not None and report.key_to_image_ms > 0
    assert len(report.key_presses_ms) == KEY_PRESSES, report.key_presses_ms
    assert report.moved == "widget 0, slider 'slope'"


def test_broken_slider_callback_fails_in_jupyterlab(browser, lab, capsys):
    """A callback that raises once the slider moves (first render fine) is caught in the browser."""
    report = run_notebook(browser, lab, "fixtures/broken.ipynb", capsys)
    assert report.run_seconds > 0 and report.widgets == 1
    assert any("ZeroDivisionError" in problem for problem in report.problems), report.problems
