r"""Layer 2 of the slider tests: in a real kernel (nbclient), without a browser.

For each notebook with a ``Demo.show`` widget: execute its solved student copy (``student_copy.py``: the
copy ``make student-notebooks`` writes, each exercise holding its published solution) top to bottom,
assert that every exercise's check says ✓, then, in the same kernel,
move every slider of every widget through its demo's ``settings()`` (the ends, the middle, every
dropdown option, the special settings: the same list the headless layer draws) and assert that the
image in the widget's Output changes, that no error appears there, and that restoring the initial
values brings back the original image. nbclient plays the frontend: it keeps the state each widget
sends (the Image's PNG is a binary buffer), and the test reads the picture and the error line there (the
kernel side only says which widget is which). Plain nbclient: a demo has no Output widget (issue 28), so
there is nothing for nbclient's Output-widget mimic to answer, and no stall.

The solved copy rather than the notebook: its cells are the notebook's, except that the exercises hold
the student's answers and the later cells use them, so one run checks both (strict nbval runs the
notebook itself). ``make test`` runs this layer once, under ipywidgets 7.7.1 (``make test-ipyw7``, as on
Colab); under ipywidgets 8 the browser layer moves sliders through a real kernel and the headless layer
draws every setting.

Run just this layer: ``pytest tests/notebooks/test_sliders_kernel.py``.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from notebook_sliders import (
    ROOT,
    TIMEOUT_S,
    SliderReport,
    check_widgets,
    current_env_kernel_manager,
    fixture_notebook,
    kernel_env,
    notebooks_with_sliders,
    summarize,
)
from student_copy import solved_copy, unsolved_checks

from tests.lessons import mutants

pytestmark = pytest.mark.slow  # `pytest -m "not slow"` leaves it out while iterating



def run_in_kernel(path: Path) -> SliderReport:
    """Execute the notebook at ``path`` in a fresh kernel of this Python, then move its sliders there.
    The report's ``problems`` start with the exercises whose check did not say ✓; ``checks``: how many
    exercise cells ran."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=int(TIMEOUT_S), km=current_env_kernel_manager(),
                            store_widget_state=True,  # where the widgets' state and buffers arrive
                            resources={"metadata": {"path": str(path.parent)}})
    client.shutdown_kernel = "immediate"
    # cleanup_kc: shut the kernel down afterwards, also after an error (nbclient leaves a kernel it
    # did not create itself running by default)
    with client.setup_kernel(env=kernel_env(), cleanup_kc=True):
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)  # raises CellExecutionError, with the traceback, on an error
        checks, unsolved = unsolved_checks(nb.cells, path.name)

        def run(code: str) -> str:
            cell = nbformat.v4.new_code_cell(code)
            nb.cells.append(cell)
            client.execute_cell(cell, len(nb.cells) - 1)
            return "".join(out.get("text", "") for out in cell.outputs
                           if out.output_type == "stream" and out.name == "stdout")

        def picture(widget: dict) -> dict:
            assert widget["image_id"] in client.widget_state, f"{path.name}: no Image {widget['image_id']} reached the frontend"
            png = client.widget_buffers.get(widget["image_id"], {}).get(("value",), {}).get("data")
            return summarize(png, client.widget_state.get(widget["message_id"], {}).get("value", ""))

        report = check_widgets(run, picture, path.name)
        report.problems[:0] = unsolved
        report.checks = checks
        return report


def report_line(report: SliderReport) -> str:
    return (f"kernel sliders {report.notebook:32s} {len(report.demos)} widgets, {len(report.redraw_seconds):3d} moves, "
            f"median redraw in the kernel {report.median_ms():6.1f} ms")


@pytest.mark.parametrize("path", notebooks_with_sliders(), ids=lambda path: path.name)
def test_solved_student_copy_runs_and_its_sliders_redraw_in_kernel(path, capsys, tmp_path):
    report = run_in_kernel(solved_copy(path, tmp_path))
    with capsys.disabled():
        print("\n" + report_line(report))
    assert not report.problems, "\n".join(report.problems)
    assert report.checks == len(mutants.exercises([path])), f"{path.name}: {report.checks} exercise cells ran"
    out = ROOT / "test-artifacts"
    out.mkdir(exist_ok=True)
    (out / f"kernel-{path.stem}.txt").write_text(report_line(report) + "\n")


def test_fixture_sliders_redraw_in_kernel(tmp_path):
    """The harness itself: a working demo passes, every slider counted as changing the image."""
    report = run_in_kernel(fixture_notebook(tmp_path / "fixture.ipynb"))
    assert report.problems == []
    assert report.demos == ["LineView"]
    # timed: the settings that move one slider away from the last one (slope -2, 2, 0); the next,
    # color C1, also moves slope back to 1 and is not a single redraw
    assert len(report.redraw_seconds) == 3


def test_broken_slider_callback_fails_in_kernel(tmp_path):
    """A callback that raises only once a slider moves (first render fine) is reported, by name."""
    report = run_in_kernel(fixture_notebook(tmp_path / "broken.ipynb", broken=True))
    assert any("ZeroDivisionError" in problem and "slope" in problem for problem in report.problems), report.problems
