r"""The notebook suite's run times: each notebook executed top to bottom in a fresh kernel.

    python benchmarks/notebook_times.py                         # every notebook, once
    python benchmarks/notebook_times.py --repeats 3             # median of 3 runs each
    python benchmarks/notebook_times.py notebooks/05_maf.ipynb

Runs copies in a temporary folder (with ``scripts/run_notebooks.run``, the same executor as
``make notebooks``), so the committed notebooks and their outputs are left untouched. Prints a
Markdown table with each notebook's wall time against the 60 s budget. Measure on an idle machine:
other processes on the same cores inflate every figure.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from run_notebooks import run  # noqa: E402

BUDGET_S = 60.0


def time_notebooks(paths: list[Path], repeats: int = 1) -> list[tuple[str, float]]:
    """``[(name, median seconds)]`` for every notebook, each run ``repeats`` times on a fresh copy."""
    results = []
    with tempfile.TemporaryDirectory(prefix="notebook-times-") as tmp:
        for path in paths:
            times = []
            for k in range(repeats):
                # A copy in a folder of its own, next to copies of its neighbours (a notebook may read
                # files beside it); execution writes outputs into the copy only.
                folder = Path(tmp) / f"{path.stem}-{k}"
                shutil.copytree(path.parent, folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
                times.append(run(folder / path.name))
            results.append((path.name, statistics.median(times)))
            print(f"  {path.name}: {', '.join(f'{t:.1f}' for t in times)} s", file=sys.stderr, flush=True)
    return results


def format_table(results: list[tuple[str, float]], budget: float = BUDGET_S) -> str:
    lines = ["| notebook | run time (s) | within 60 s |", "|---|---|---|"]
    for name, seconds in results:
        lines.append(f"| {name} | {seconds:.1f} | {'yes' if seconds <= budget else 'NO'} |")
    lines.append(f"| total | {sum(s for _, s in results):.1f} | |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebooks/*.ipynb")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args(argv)
    paths = [p.resolve() for p in args.notebooks] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    if not paths:
        print("notebook_times.py: no notebooks found in notebooks/", file=sys.stderr)
        return 2
    cpu = os.cpu_count()
    print(f"# {len(paths)} notebooks, median of {args.repeats} run(s) each, {cpu} CPU cores\n", flush=True)
    results = time_notebooks(paths, args.repeats)
    print(format_table(results))
    return 0 if all(s <= BUDGET_S for _, s in results) else 1


if __name__ == "__main__":
    sys.exit(main())
