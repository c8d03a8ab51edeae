"""Re-execute notebooks top to bottom in a fresh kernel and store their outputs in place.

    python scripts/run_notebooks.py                      # every notebook in notebooks/
    python scripts/run_notebooks.py notebooks/03_nice.ipynb
    python scripts/run_notebooks.py --timeout 120 copy/03_nice.ipynb   # seconds a cell may take

Prints each notebook's wall time, the figure quoted in the README's run-time table. After the run, a
post-processing step (``offline_outputs``, in scripts/offline_outputs.py) makes the stored outputs
readable without a kernel: each slider's widget becomes a still picture at its initial setting, each
progress bar's first frame (0%) goes, and no widget state is stored (widget models are recreated by
the kernel when the notebook runs).

Every tool here that executes a notebook with nbclient (this script, ``benchmarks/notebook_times.py``,
``scripts/stress_notebooks.py --executor runner``) builds its client with ``notebook_client``: nbclient's
own client, which replaces a kernel that dies before its first reply (see ``SteadyNotebookClient``); on
stderr each run names its slowest cell. Nothing else is needed: plain nbclient, ``jupyter nbconvert
--execute`` and Voilà run the notebooks just as well (issue 28; ``tests/notebooks/test_concurrent_run.py``).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.util import run_sync
from notebook_file import write as write_notebook
from offline_outputs import offline_outputs

ROOT = Path(__file__).resolve().parents[1]

# Kernels started for one run before giving up, when each dies before its first reply. Runs started at once
# can be handed the same port: jupyter_client picks a kernel's five ports by binding port 0 and closing the
# socket, so another process's probe may get the same port before this kernel binds it, and that kernel exits
# with "Address already in use" ("Kernel died before replying to kernel_info"; once in CI, 01 and 02 at once).
# Two sets of five probes share a port in 0.15 % of tries on Linux; a new kernel gets new ports.
KERNEL_STARTS = 3


class SteadyNotebookClient(NotebookClient):
    r"""nbclient's ``NotebookClient`` that replaces a kernel dying before its first reply (``KERNEL_STARTS``).

    It used to bound each poll for a cell's reply too: nbclient's Output-widget mimic, which every
    ``interact`` drew into, sends on the shell socket while nbclient polls that socket for the reply, and
    when the two coincided the poll was never woken (nbclient#312, nbconvert#2003 and #2029), the client
    waiting for the whole cell timeout. The demos now draw into an ``ipywidgets.Image`` (issue 28,
    ``flowlib/lessons/demo.py``), so no notebook gives the mimic anything to do, and a test keeps it so
    (``tests/notebooks/test_concurrent_run.py``): the polls went.
    """

    # Kernels that died before their first reply and were replaced (see KERNEL_STARTS).
    replaced = 0

    async def async_start_new_kernel_client(self):
        for start in range(1, KERNEL_STARTS + 1):
            try:
                kc = await super().async_start_new_kernel_client()
                break
            except RuntimeError as error:  # nbclient has cleaned the dead kernel up and dropped its manager
                if "died before replying" not in str(error) or start == KERNEL_STARTS:
                    raise
                self.replaced += 1
                print(f"the kernel died before its first reply (its error is above); starting kernel {start + 1} "
                      f"of at most {KERNEL_STARTS}", file=sys.stderr, flush=True)
                self.create_kernel_manager()
                await self.async_start_new_kernel()
        return kc

    start_new_kernel_client = run_sync(async_start_new_kernel_client)


def notebook_client(nb, folder: Path, timeout: int = 600, **kwargs) -> SteadyNotebookClient:
    """The client that executes ``nb`` with ``folder`` as its working directory (a cell may take ``timeout`` s)."""
    # store_widget_state=True: offline_outputs takes each demo's still from the stored state (its Image's PNG);
    # run() drops the state again.
    kwargs.setdefault("kernel_name", "python3")
    return SteadyNotebookClient(nb, timeout=timeout, store_widget_state=True,
                                resources={"metadata": {"path": str(folder)}}, **kwargs)


@dataclass
class Execution:
    seconds: float  # wall time of the whole run
    slowest_cell: int  # its index in nb.cells, and the seconds the client waited for it
    slowest_seconds: float
    replaced: int  # kernels that died before their first reply


def execute(nb, folder: Path, timeout: int = 600) -> Execution:
    """Execute ``nb`` in place in a fresh kernel."""
    client = notebook_client(nb, folder, timeout)
    started: dict[int, float] = {}
    waited: dict[int, float] = {}
    client.on_cell_start = lambda cell, cell_index: started.__setitem__(cell_index, time.perf_counter())
    client.on_cell_executed = lambda cell, cell_index, execute_reply: waited.__setitem__(
        cell_index, time.perf_counter() - started[cell_index])
    start = time.perf_counter()
    client.execute()
    slowest = max(waited, key=waited.get, default=-1)
    return Execution(time.perf_counter() - start, slowest, waited.get(slowest, 0.0), client.replaced)


def run(path: Path, timeout: int = 600) -> float:
    """Execute the notebook at ``path``, store its outputs there, and return the wall time in seconds."""
    nb = nbformat.read(path, as_version=4)
    done = execute(nb, path.parent, timeout)
    print(f"{path.name}: slowest cell #{done.slowest_cell} {done.slowest_seconds:.1f} s; "
          f"{done.replaced} kernels replaced",
          file=sys.stderr, flush=True)
    offline_outputs(nb, path.name)  # post-processing: stills for the sliders, no 0% progress bars, no widget state
    write_notebook(nb, path)  # as JupyterLab saves it: opening the notebook changes nothing (notebook_file.py)
    return done.seconds


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebooks/*.ipynb")
    parser.add_argument("--timeout", type=int, default=600, help="seconds a single cell may take (default 600)")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    for path in paths:
        print(f"{path.name:40s} {run(path, args.timeout):6.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
