r"""Two notebooks executed at once finish, through plain nbclient (issue 28) and as ``make notebooks`` runs them.

Three causes made a run hang, crawl or fail on a shared CPU, and each has a test here that fails if it comes back:

1. nbclient missed a cell's reply. Its Output-widget mimic (what ``interact`` draws into) answers each draw
   with a message on the kernel's shell socket while it polls that socket for the cell's reply, and the
   poll is sometimes never woken: the kernel idle, the client waiting for the whole cell timeout. Every
   client built on nbclient has it (``jupyter nbconvert --execute``, papermill, Voilà). The course no longer
   gives it anything to answer: ``Demo.show`` draws into an ``ipywidgets.Image`` (``flowlib/lessons/demo.py``).
   Tests: no notebook and no lesson builds an ``Output`` widget or an ``interact``; two copies of a
   fixture notebook of many ``Demo.show`` cells, and then notebooks 01 and 02, run at once through plain
   ``NotebookClient(...).execute()``, each in its own process, with none of this project's code around
   it (``scripts/stress_notebooks.py``'s ``nbclient`` executor): no cell may leave the kernel idle for
   seconds before the client sends the next one.
2. torch's second thread made training ~10x slower on a busy machine (``flowlib/_threads.py``): ``fit``
   must train on one thread.
3. Runs started at once can be handed the same port for their kernels, and one kernel then dies before
   its first reply (``KERNEL_STARTS`` in ``scripts/run_notebooks.py``): such a kernel is replaced.

Longer runs, with timings against solo runs, per executor (runner, nbclient, nbconvert) and for the pairs
03+04, 05+06, 07+08: ``scripts/stress_notebooks.py --pairs --executor nbclient`` (``make stress``).
"""

from __future__ import annotations

import importlib.util
import re
import socket
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
import torch
from notebook_sliders import fixture_notebook

from flowlib import fit, make_nice, toy_data

ROOT = Path(__file__).resolve().parents[2]
LIGHTEST = ["01_change_of_variables.ipynb", "02_jacobians.ipynb"]  # 12 s and 10 s alone on 2 idle cores
DEMO_CELLS = 40
# Where an Output widget or an interact would come from (the stall's cause): in code cells and lesson code.
OUTPUT_WIDGET = re.compile(r"\b(interact|interactive|interact_manual)\(|\bOutput\(|@interact\b")


def stress_module():
    spec = importlib.util.spec_from_file_location("stress_notebooks", ROOT / "scripts" / "stress_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def plain_nbclient_at_once(paths: list[Path], timeout: int, scratch: Path, gap_limit: float) -> list:
    """Each of ``paths`` executed by plain nbclient in its own process, all started together (on copies)."""
    stress = stress_module()
    with ThreadPoolExecutor(len(paths)) as pool:
        return list(pool.map(lambda path: stress.run_copy(path, timeout, scratch, True, "nbclient", gap_limit), paths))


def demo_notebook(path: Path, cells: int = DEMO_CELLS) -> Path:
    """A notebook of ``cells`` cells, each showing a slider demo (``Demo.show``, the fixture's LINE)."""
    nb = nbformat.read(fixture_notebook(path), as_version=4)
    nb.cells = nb.cells[:2] + [nbformat.v4.new_code_cell(f"LINE.show([-2.0, {k / cells:.3f}, 2.0])") for k in range(cells)]
    nbformat.write(nb, path)
    return path


def test_no_notebook_or_lesson_builds_an_output_widget():
    found = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        found += [f"{path.name} cell {i}: {m.group(0)}" for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
                  for m in OUTPUT_WIDGET.finditer(cell.source)]
    for path in sorted((ROOT / "flowlib").rglob("*.py")):
        code = "\n".join(line for line in path.read_text().splitlines() if not line.lstrip().startswith("#"))
        found += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in OUTPUT_WIDGET.finditer(code)
                  if "``" not in code[max(0, m.start() - 2):m.start()]]  # names in docstrings are not calls
    assert found == [], ("an Output widget or interact: nbclient, nbconvert, papermill and Voila answer its draws on the "
                         "shell socket and can miss the cell's reply (issue 28); draw into an ipywidgets.Image")


@pytest.mark.slow
def test_plain_nbclient_runs_two_demo_notebooks_at_once(tmp_path):
    paths = [demo_notebook(tmp_path / f"demos_{k}.ipynb") for k in range(2)]
    start = time.perf_counter()
    # A cell takes well under a second; a missed reply leaves the kernel idle until the cell's timeout (30 s).
    runs = plain_nbclient_at_once(paths, timeout=30, scratch=tmp_path, gap_limit=10)
    print(f"plain nbclient: {len(paths)} x {DEMO_CELLS} Demo.show cells at once in {time.perf_counter() - start:.1f} s; "
          + "; ".join(f"{r.notebook}: slowest {r.slowest}, idle gap {r.gap:.2f} s" for r in runs))
    assert [r.problem for r in runs] == ["", ""]


@pytest.mark.slow
def test_plain_nbclient_runs_the_two_lightest_notebooks_at_once(tmp_path):
    paths = [ROOT / "notebooks" / name for name in LIGHTEST]
    start = time.perf_counter()
    runs = plain_nbclient_at_once(paths, timeout=300, scratch=tmp_path, gap_limit=30)
    print(f"plain nbclient, {', '.join(LIGHTEST)} at once: {time.perf_counter() - start:.1f} s; "
          + "; ".join(f"{r.notebook}: {r.seconds:.1f} s, slowest {r.slowest}, idle gap {r.gap:.2f} s" for r in runs))
    assert [r.problem for r in runs] == ["", ""]


def test_fit_trains_on_one_thread():
    threads_seen = []
    before = torch.get_num_threads()
    flow = make_nice(2, layers=2, hidden=(8,))
    fit(flow, toy_data("moons", 64, seed=0), steps=3, batch_size=16, progress=False,
        callback=lambda step, flow: threads_seen.append(torch.get_num_threads()))
    assert threads_seen == [1, 1, 1], f"fit trained with {threads_seen} torch threads; one keeps a busy machine fast"
    assert torch.get_num_threads() == before, "fit must give back the caller's thread count"


@pytest.mark.slow
def test_a_kernel_that_dies_before_its_first_reply_is_replaced(tmp_path, monkeypatch):
    """The first kernel is handed a port that another socket holds, as a second run's probe can be: it exits with
    "Address already in use"; the run goes on in a new kernel instead of failing."""
    from jupyter_client.provisioning.local_provisioner import LocalPortCache

    monkeypatch.syspath_prepend(str(ROOT / "scripts"))
    import run_notebooks

    held = socket.socket()
    held.bind(("127.0.0.1", 0))
    held.listen()
    probe = LocalPortCache.find_available_port
    handed = []

    def taken_port_first(self, ip):
        handed.append(ip)
        return held.getsockname()[1] if len(handed) == 1 else probe(self, ip)

    monkeypatch.setattr(LocalPortCache, "find_available_port", taken_port_first)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")])
    try:
        done = run_notebooks.execute(nb, tmp_path, timeout=60)
    finally:
        held.close()
    assert done.replaced == 1, f"{done.replaced} kernels replaced; the first one had a taken port"
    assert nb.cells[0].outputs[0]["text"] == "42\n"
    assert len(handed) == 10, f"{len(handed)} ports handed out: five for each of the two kernels"
