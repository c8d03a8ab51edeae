r"""Run notebooks several at once, again and again, the way ``make notebooks`` runs them; count stalls.

    python scripts/stress_notebooks.py                                   # 03 and 04 at once, 20 rounds
    python scripts/stress_notebooks.py --rounds 5 --solo 2 notebooks/01_change_of_variables.ipynb \
        notebooks/02_jacobians.ipynb

Each round starts every given notebook at the same time, each as its own ``scripts/run_notebooks.py``
process (the command ``make notebooks`` runs) on a fresh copy of the notebooks folder, so the
committed notebooks are never touched. First each notebook runs alone ``--solo`` times, for the
baseline. A run stalled if it failed (its error is shown) or if one of its cells kept the client
waiting for the whole ``--timeout`` (a missed reply: the kernel idle, the client waiting); the exit
status is 1 if any run stalled. The last column counts the replies that ``run_notebooks.py`` found only
when a poll ran out: missed wake-ups, each a stall of the cell's whole timeout before the fix (an
upper bound: on a very busy machine a wake-up can also come late). The table compares
median and max wall times alone and together: on 2 cores, two notebooks at once should take about
twice as long each (they share the CPU), not more.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNNER = ROOT / "scripts" / "run_notebooks.py"
DEFAULT = [ROOT / "notebooks" / "03_nice.ipynb", ROOT / "notebooks" / "04_realnvp.ipynb"]


@dataclass
class Run:
    notebook: str
    together: bool
    seconds: float  # the notebook's execution time as run_notebooks.py prints it (wall time if it failed)
    problem: str = ""  # empty if it finished
    slowest: str = ""  # its slowest cell, and the replies only a timed-out poll found (run_notebooks.py's stderr)
    recovered: int = 0


def run_copy(path: Path, timeout: int, scratch: Path, together: bool) -> Run:
    """Execute a fresh copy of ``path`` (its whole folder, for files beside it) with run_notebooks.py."""
    folder = Path(tempfile.mkdtemp(prefix=f"{path.stem}-", dir=scratch))
    shutil.copytree(path.parent, folder, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    start = time.perf_counter()
    try:
        # The whole run may take every cell's timeout at most in principle; a stall hits the cell timeout first.
        done = subprocess.run([sys.executable, str(RUNNER), "--timeout", str(timeout), str(folder / path.name)],
                              capture_output=True, text=True, timeout=4 * timeout)
    except subprocess.TimeoutExpired:
        return Run(path.name, together, time.perf_counter() - start, f"no result after {4 * timeout} s")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    wall = time.perf_counter() - start
    printed = re.search(r"([\d.]+) s\s*$", done.stdout)
    if done.returncode != 0 or not printed:
        lines = [line for line in done.stderr.strip().splitlines() if re.search(r"\w(Error|Exception): ", line)]
        lines = lines or [line for line in done.stderr.strip().splitlines() if line.strip()]
        cell = re.search(r"Here is a preview of the cell contents:\s*-+\s*(.+)", done.stderr)
        where = f" (cell: {cell.group(1).strip()[:60]})" if cell else ""
        return Run(path.name, together, wall, f"exit {done.returncode}{where}: {lines[-1] if lines else ''}"[:300])
    note = re.search(r"slowest cell #(\d+) ([\d.]+) s; (\d+) replies", done.stderr)
    run = Run(path.name, together, float(printed.group(1)))
    if note:
        run.slowest, run.recovered = f"cell #{note.group(1)} {note.group(2)} s", int(note.group(3))
        if float(note.group(2)) >= 0.9 * timeout:  # a cell that ran into its timeout: a stall that then ended
            run.problem = f"cell #{note.group(1)} waited {note.group(2)} s, its timeout"
    return run


def summary(runs: list[Run], paths: list[Path]) -> str:
    lines = ["| notebook | runs | how | stalled or failed | median s | max s | replies found by a timed-out poll |",
             "|---|---|---|---|---|---|---|"]
    for path in paths:
        for together in (False, True):
            mine = [r for r in runs if r.notebook == path.name and r.together == together]
            if not mine:
                continue
            done = [r.seconds for r in mine if not r.problem]
            median = f"{statistics.median(done):.1f}" if done else "-"
            longest = f"{max(done):.1f}" if done else "-"
            how = f"{len(paths)} at once" if together else "alone"
            recovered = sum(r.recovered for r in mine)
            lines.append(f"| {path.name} | {len(mine)} | {how} | {len(mine) - len(done)} | {median} | {longest} | {recovered} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="run together in each round (default: 03 and 04)")
    parser.add_argument("--rounds", type=int, default=20, help="rounds with all notebooks at once (default 20)")
    parser.add_argument("--solo", type=int, default=3, help="runs of each notebook alone first (default 3)")
    parser.add_argument("--timeout", type=int, default=300, help="seconds a cell may take (default 300)")
    args = parser.parse_args(argv)
    paths = [p.resolve() for p in args.notebooks] or DEFAULT
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"# {len(paths)} notebooks at once, {args.rounds} rounds, {args.solo} solo runs each, "
          f"{os.cpu_count()} CPU cores, load average {load:.1f} at the start", flush=True)
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="stress-notebooks-") as scratch:

        def record(run: Run, label: str) -> None:
            runs.append(run)
            status = f"ok (slowest {run.slowest}; {run.recovered} recovered)" if not run.problem else f"STALLED: {run.problem}"
            print(f"{label:12s} {run.notebook:32s} {run.seconds:7.1f} s  {status}", flush=True)

        for k in range(args.solo):
            for path in paths:
                record(run_copy(path, args.timeout, Path(scratch), together=False), f"alone {k + 1}")
        with ThreadPoolExecutor(len(paths)) as pool:
            for k in range(args.rounds):
                futures = [pool.submit(run_copy, path, args.timeout, Path(scratch), True) for path in paths]
                for future in futures:
                    record(future.result(), f"round {k + 1}")
    print()
    print(summary(runs, paths))
    stalled = [r for r in runs if r.problem]
    print(f"\n{len(stalled)} of {len(runs)} runs stalled or failed", flush=True)
    return 1 if stalled else 0


if __name__ == "__main__":
    sys.exit(main())
