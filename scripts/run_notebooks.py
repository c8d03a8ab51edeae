"""Re-execute notebooks top to bottom in a fresh kernel and store their outputs in place.

    python scripts/run_notebooks.py                      # every notebook in notebooks/
    python scripts/run_notebooks.py notebooks/03_nice.ipynb

Prints each notebook's wall time, the figure quoted in the README's run-time table. After the run, a
post-processing step (``offline_outputs``, in scripts/offline_outputs.py) makes the stored outputs
readable without a kernel: each slider's widget becomes a still picture at its initial setting, each
progress bar's first frame (0%) goes, and no widget state is stored (widget models are recreated by
the kernel when the notebook runs).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from offline_outputs import offline_outputs

ROOT = Path(__file__).resolve().parents[1]


def run(path: Path, timeout: int = 600) -> float:
    nb = nbformat.read(path, as_version=4)
    # store_widget_state=True: nbclient's Output-widget mimic (what an interact draws into) needs it, else
    # KeyError; offline_outputs reads it, then drops it.
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", store_widget_state=True,
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    offline_outputs(nb)  # post-processing: stills for the sliders, no 0% progress bars, no widget state
    nbformat.write(nb, path)
    return elapsed


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    for path in paths:
        print(f"{path.name:40s} {run(path):6.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
