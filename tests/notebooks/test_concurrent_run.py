r"""Two notebooks executed at once finish, as ``make notebooks`` runs them (issue: runs that stalled).

Two causes made a run hang or crawl on a shared CPU, and each has a test here that fails if it comes back:

1. nbclient missed a cell's reply: its Output-widget mimic sends on the shell socket while it polls that
   socket for the reply, and the poll is sometimes never woken (``scripts/run_notebooks.py``,
   ``SteadyNotebookClient``). A fixture notebook of many small ``interact`` cells, two copies at once,
   hits that window in most runs; with the fix every cell ends in seconds.
2. torch's second thread made training ~10x slower on a busy machine (``flowlib/_threads.py``): ``fit``
   must train on one thread.

A third made a run fail: runs started at once can be handed the same port for their kernels, and one kernel
then dies before its first reply (``KERNEL_STARTS`` in ``scripts/run_notebooks.py``): such a kernel is replaced.

Then the two lightest real notebooks run at once through ``scripts/run_notebooks.py``. The cell timeouts
are generous for the work (seconds per cell) and far below a stall (the default cell timeout, 600 s).
Longer runs, with timings against solo runs: ``make stress`` (``scripts/stress_notebooks.py``).
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
import torch

from flowlib import fit, make_nice, toy_data

ROOT = Path(__file__).resolve().parents[2]
RUNNER = ROOT / "scripts" / "run_notebooks.py"
LIGHTEST = ["01_change_of_variables.ipynb", "02_jacobians.ipynb"]  # 12 s and 10 s alone on 2 idle cores
INTERACT_CELLS = 60


def run_at_once(paths: list[Path], timeout: int) -> list[subprocess.CompletedProcess]:
    """``python scripts/run_notebooks.py --timeout T path`` for every path, all started together."""

    def one(path: Path) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(RUNNER), "--timeout", str(timeout), str(path)],
                              capture_output=True, text=True, timeout=20 * timeout)

    with ThreadPoolExecutor(len(paths)) as pool:
        return list(pool.map(one, paths))


def interact_notebook(path: Path, cells: int = INTERACT_CELLS) -> Path:
    """A notebook of ``cells`` cells, each building an ``interact`` (its first draw goes into an Output
    widget at the end of the cell, just as every ``Demo.show`` does)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("import ipywidgets")]
    nb.cells += [nbformat.v4.new_code_cell(f"ipywidgets.interact(lambda a: print('drawn', a), a=({k}, {k + 10}));")
                 for k in range(cells)]
    nbformat.write(nb, path)
    return path


def stalls(done: list[subprocess.CompletedProcess], paths: list[Path], longest: float) -> list[str]:
    """Runs that failed, or whose slowest cell kept the client waiting ``longest`` s or more (run_notebooks.py
    reports it on stderr): a missed reply is only found when the cell's timeout runs out."""
    found = []
    for d, path in zip(done, paths):
        slowest = re.search(r"slowest cell #(\d+) ([\d.]+) s", d.stderr)
        if d.returncode or not slowest:  # the error lines first: a dead kernel's own traceback comes early
            errors = [line for line in d.stderr.splitlines() if re.search(r"\w(Error|Exception): ", line)]
            found.append(f"{path.name}: exit {d.returncode}\n" + "\n".join(errors[:10]) + f"\n...\n{d.stderr[-1500:]}")
        elif float(slowest.group(2)) >= longest:
            found.append(f"{path.name}: the client waited {slowest.group(2)} s for cell #{slowest.group(1)}")
    return found


@pytest.mark.slow
def test_no_reply_is_missed_with_two_runs_at_once(tmp_path):
    paths = [interact_notebook(tmp_path / f"interact_{k}.ipynb") for k in range(2)]
    start = time.perf_counter()
    # A cell takes well under a second; a missed reply keeps the client waiting for the cell's timeout (30 s).
    done = run_at_once(paths, timeout=30)
    print(f"concurrent run: {len(paths)} x {INTERACT_CELLS} interact cells in {time.perf_counter() - start:.1f} s; "
          + "; ".join(d.stderr.strip().splitlines()[-1] for d in done if d.stderr.strip()))
    problems = stalls(done, paths, longest=10)
    assert not problems, "\n\n".join(problems)
    for path in paths:  # each interact drew into its Output widget, as recorded by the client
        nb = nbformat.read(path, as_version=4)
        assert all(cell.outputs for cell in nb.cells[1:]), f"{path.name}: a cell has no output"


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


@pytest.mark.slow
def test_two_lightest_notebooks_at_once(tmp_path):
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")  # copies: the committed outputs stay as they are
    paths = [tmp_path / "notebooks" / name for name in LIGHTEST]
    start = time.perf_counter()
    done = run_at_once(paths, timeout=120)
    print(f"concurrent run of {', '.join(LIGHTEST)}: {time.perf_counter() - start:.1f} s; "
          + "; ".join(d.stderr.strip().splitlines()[-1] for d in done if d.stderr.strip()))
    problems = stalls(done, paths, longest=0.9 * 120)
    assert not problems, "\n\n".join(problems)


def test_voila_executor_gets_the_bounded_polls(tmp_path):
    """`make playground` loads scripts/voila_config/voila.py: Voilà's executor, an nbclient subclass with the
    same race, must start its kernel client through the bounded polls."""
    from traitlets.config.loader import PyFileConfigLoader
    from voila.execute import VoilaExecutor

    before = VoilaExecutor.async_start_new_kernel_client
    try:
        PyFileConfigLoader("voila.py", path=str(ROOT / "scripts" / "voila_config")).load_config()
        patched = VoilaExecutor.async_start_new_kernel_client
        assert patched is not before and patched.__name__ == "_steady_kernel_client"
    finally:
        VoilaExecutor.async_start_new_kernel_client = before
