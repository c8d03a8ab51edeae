r"""Run notebooks several at once, again and again, through a given executor; count stalls.

    python scripts/stress_notebooks.py                                   # 03 and 04 at once, 20 rounds, our runner
    python scripts/stress_notebooks.py --pairs --rounds 20 --executor nbclient    # issue 28: 03+04, 05+06, 07+08
    python scripts/stress_notebooks.py --pairs --rounds 20 --executor nbconvert
    python scripts/stress_notebooks.py --rounds 5 --solo 2 notebooks/01_change_of_variables.ipynb \
        notebooks/02_jacobians.ipynb

Each round starts every given notebook at the same time, each in its own process on a fresh copy of
the notebooks folder, so the committed notebooks are never touched. ``--executor`` is that process:

- ``runner``: ``scripts/run_notebooks.py`` (the command ``make notebooks`` runs);
- ``nbclient``: plain ``nbclient.NotebookClient(nb, timeout=T, kernel_name="python3").execute()``, what
  papermill and a course's own CI use, with none of this project's code around it;
- ``nbconvert``: ``jupyter nbconvert --to notebook --execute``, as ``python -m nbconvert`` (this Python's
  nbconvert, whatever ``jupyter`` is first on the PATH); its ``ExecutePreprocessor`` is an nbclient subclass.

First each notebook runs alone ``--solo`` times, for the baseline. With ``--pairs`` the rounds go over
the pairs issue 28 names (03 with 04, 05 with 06, 07 with 08), one pair after the other.

How a stall shows: nbclient records, in each executed cell's metadata, the kernel's own times of
going busy and idle. A client that misses a cell's reply sends the next cell only when that cell's
timeout runs out, so the kernel sits idle between one cell's ``iopub.status.idle`` and the next one's
``iopub.status.busy``: the largest such gap of a run is its **idle gap** (a few ms to a second when
the client keeps up; on a very busy machine a few seconds, when the client gets no CPU). A run stalled
if it failed (its error is shown), if a cell kept the client waiting for the whole ``--timeout``, or if
its idle gap reached ``--gap-limit``; the exit status is 1 if any run stalled. Each cell's time is
counted from its ``busy`` to the next cell's ``busy`` (what the client waited for it). The table
compares median and max wall times alone and together (on 2 cores, two notebooks at once should
take about twice as long each, they share the CPU, not more), and the slowest cell and largest gap.
"""

from __future__ import annotations

import argparse
import datetime
import json
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
PAIRS = [("03_nice", "04_realnvp"), ("05_maf", "06_iaf"), ("07_best_of_both_worlds", "08_playground")]  # issue 28
EXECUTORS = ("runner", "nbclient", "nbconvert")

# Plain nbclient, nothing of this project's: argv = notebook, cell timeout, output path.
PLAIN_NBCLIENT = """
import sys, nbformat
from pathlib import Path
from nbclient import NotebookClient
path, timeout, out = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
nb = nbformat.read(path, as_version=4)
NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
nbformat.write(nb, out)
"""


@dataclass
class Run:
    notebook: str
    together: bool
    seconds: float  # wall time of the executing process (the runner: the execution time it prints)
    problem: str = ""  # empty if it finished
    slowest: str = ""  # its slowest cell as the client waited for it
    slowest_seconds: float = 0.0
    gap: float = 0.0  # the largest idle gap between two cells (see the module docstring)


def command(executor: str, notebook: Path, timeout: int, out: Path) -> list[str]:
    """The process that executes ``notebook`` and writes the executed notebook to ``out``."""
    if executor == "runner":  # executes in place
        return [sys.executable, str(RUNNER), "--timeout", str(timeout), str(notebook)]
    if executor == "nbclient":
        return [sys.executable, "-c", PLAIN_NBCLIENT, str(notebook), str(timeout), str(out)]
    if executor == "nbconvert":
        return [sys.executable, "-m", "nbconvert", "--to", "notebook", "--execute",
                f"--ExecutePreprocessor.timeout={timeout}", "--ExecutePreprocessor.kernel_name=python3",
                "--output-dir", str(out.parent), "--output", out.name, str(notebook)]
    raise ValueError(f"unknown executor {executor!r}; expected one of {EXECUTORS}")


def cell_times(path: Path) -> tuple[int, float, float]:
    r"""From an executed notebook's timing metadata (kernel clock): the slowest cell (index, seconds from
    its ``busy`` to the next cell's ``busy``, or to its ``idle`` for the last) and the largest idle gap."""

    def when(text: str) -> float:
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()

    cells = json.loads(path.read_text())["cells"]
    timed = [(i, c["metadata"]["execution"]) for i, c in enumerate(cells) if c["cell_type"] == "code"
             and {"iopub.status.busy", "iopub.status.idle"} <= set(c.get("metadata", {}).get("execution", {}))]
    slowest, slowest_s, gap = -1, 0.0, 0.0
    for k, (i, times) in enumerate(timed):
        end = when(timed[k + 1][1]["iopub.status.busy"]) if k + 1 < len(timed) else when(times["iopub.status.idle"])
        if end - when(times["iopub.status.busy"]) > slowest_s:
            slowest, slowest_s = i, end - when(times["iopub.status.busy"])
        gap = max(gap, end - when(times["iopub.status.idle"]))
    return slowest, slowest_s, gap


def run_copy(path: Path, timeout: int, scratch: Path, together: bool, executor: str = "runner",
             gap_limit: float = 30.0) -> Run:
    """Execute a fresh copy of ``path`` (its whole folder, for files beside it) with ``executor``."""
    folder = Path(tempfile.mkdtemp(prefix=f"{path.stem}-", dir=scratch))
    shutil.copytree(path.parent, folder, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    copy = folder / path.name
    out = copy if executor == "runner" else folder / f"executed-{path.name}"
    start = time.perf_counter()
    try:
        # The whole run may take every cell's timeout at most in principle; a stall hits the cell timeout first.
        done = subprocess.run(command(executor, copy, timeout, out), capture_output=True, text=True,
                              timeout=4 * timeout, cwd=folder)
        wall = time.perf_counter() - start
        timing = cell_times(out) if done.returncode == 0 and out.exists() else None
    except subprocess.TimeoutExpired:
        return Run(path.name, together, time.perf_counter() - start, f"no result after {4 * timeout} s")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    printed = re.search(r"([\d.]+) s\s*$", done.stdout) if executor == "runner" else None
    if done.returncode != 0 or timing is None or (executor == "runner" and not printed):
        lines = [line for line in done.stderr.strip().splitlines() if re.search(r"\w(Error|Exception): ", line)]
        lines = lines or [line for line in done.stderr.strip().splitlines() if line.strip()]
        cell = re.search(r"Here is a preview of the cell contents:\s*-+\s*(.+)", done.stderr)
        where = f" (cell: {cell.group(1).strip()[:60]})" if cell else ""
        return Run(path.name, together, wall, f"exit {done.returncode}{where}: {lines[-1] if lines else ''}"[:300])
    slowest, slowest_s, gap = timing
    run = Run(path.name, together, float(printed.group(1)) if printed else wall, slowest=f"cell #{slowest} {slowest_s:.1f} s",
              slowest_seconds=slowest_s, gap=gap)
    if slowest_s >= 0.9 * timeout:  # a cell that ran into its timeout: a stall that then ended
        run.problem = f"cell #{slowest} took {slowest_s:.1f} s, its timeout is {timeout} s"
    elif gap >= gap_limit:
        run.problem = f"the kernel sat idle {gap:.1f} s between two cells (limit {gap_limit:.0f} s): a missed reply"
    return run


def summary(runs: list[Run], paths: list[Path], executor: str) -> str:
    lines = [f"executor: {executor}",
             "| notebook | runs | how | stalled or failed | median s | max s | slowest cell: median s, max s | "
             "largest idle gap s |",
             "|---|---|---|---|---|---|---|---|"]
    for path in paths:
        for together in (False, True):
            mine = [r for r in runs if r.notebook == path.name and r.together == together]
            if not mine:
                continue
            done = [r for r in mine if not r.problem]
            seconds, cells = [r.seconds for r in done], [r.slowest_seconds for r in done]

            def stat(values: list[float]) -> str:
                return f"{statistics.median(values):.1f} | {max(values):.1f}" if values else "- | -"

            how = "2 at once" if together else "alone"
            gap = f"{max(r.gap for r in done):.2f}" if done else "-"
            lines.append(f"| {path.name} | {len(mine)} | {how} | {len(mine) - len(done)} | {stat(seconds)} | "
                         f"{stat(cells).replace(' | ', ', ')} | {gap} |")
    return "\n".join(lines)


LINE = re.compile(r"^(?P<how>alone|round) \d+\s+(?P<notebook>\S+)\s+(?P<seconds>[\d.]+) s\s+"
                  r"(ok \(slowest cell #(?P<cell>-?\d+) (?P<cell_s>[\d.]+) s, idle gap (?P<gap>[\d.]+) s\)"
                  r"|STALLED: (?P<problem>.*))$")  # a line record() prints


def from_logs(paths: list[Path]) -> str:
    r"""The tables of several runs' printed output (files), per executor: each run is one line this script
    printed, so rounds run in separate invocations (one round per pair, pass after pass) add up."""
    by_executor: dict[str, list[Run]] = {}
    order: dict[str, list[str]] = {}
    for path in paths:
        executor = "runner"
        for line in path.read_text().splitlines():
            header = re.match(r"# executor (\w+)", line)
            if header:
                executor = header.group(1)
            match = LINE.match(line)
            if not match:
                continue
            run = Run(match["notebook"], match["how"] == "round", float(match["seconds"]), match["problem"] or "",
                      f"cell #{match['cell']} {match['cell_s']} s" if match["cell"] else "",
                      float(match["cell_s"] or 0), float(match["gap"] or 0))
            by_executor.setdefault(executor, []).append(run)
            order.setdefault(executor, [])
            if run.notebook not in order[executor]:
                order[executor].append(run.notebook)
    tables = [summary(runs, [Path(name) for name in sorted(order[executor])], executor)
              for executor, runs in by_executor.items()]
    stalled = sum(bool(r.problem) for runs in by_executor.values() for r in runs)
    total = sum(len(runs) for runs in by_executor.values())
    return "\n\n".join(tables) + f"\n\n{stalled} of {total} runs stalled or failed"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="run together in each round (default: 03 and 04)")
    parser.add_argument("--pairs", action="store_true", help="instead: 03+04, then 05+06, then 07+08 (issue 28)")
    parser.add_argument("--executor", choices=EXECUTORS, default="runner",
                        help="runner (scripts/run_notebooks.py, default), plain nbclient, or jupyter nbconvert --execute")
    parser.add_argument("--rounds", type=int, default=20, help="rounds with the notebooks at once (default 20)")
    parser.add_argument("--solo", type=int, default=3, help="runs of each notebook alone first (default 3)")
    parser.add_argument("--timeout", type=int, default=300, help="seconds a cell may take (default 300)")
    parser.add_argument("--gap-limit", type=float, default=30.0,
                        help="seconds the kernel may sit idle between two cells before a run counts as stalled (default 30)")
    parser.add_argument("--from-logs", nargs="+", type=Path, metavar="LOG",
                        help="print the tables of earlier runs' output saved in these files, and run nothing")
    args = parser.parse_args(argv)
    if args.from_logs:
        print(from_logs(args.from_logs))
        return 0
    if args.pairs:
        groups = [[ROOT / "notebooks" / f"{stem}.ipynb" for stem in pair] for pair in PAIRS]
    else:
        groups = [[p.resolve() for p in args.notebooks] or DEFAULT]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"# executor {args.executor}, {len(groups)} groups, {args.rounds} rounds each, {args.solo} solo runs each, "
          f"{os.cpu_count()} CPU cores, load average {load:.1f} at the start", flush=True)
    runs: list[Run] = []
    tables = []
    with tempfile.TemporaryDirectory(prefix="stress-notebooks-") as scratch:

        def record(run: Run, label: str) -> None:
            runs.append(run)
            status = f"ok (slowest {run.slowest}, idle gap {run.gap:.2f} s)" if not run.problem else f"STALLED: {run.problem}"
            print(f"{label:12s} {run.notebook:32s} {run.seconds:7.1f} s  {status}", flush=True)

        def one(path: Path, together: bool) -> Run:
            return run_copy(path, args.timeout, Path(scratch), together, args.executor, args.gap_limit)

        for paths in groups:
            mine_from = len(runs)
            for k in range(args.solo):
                for path in paths:
                    record(one(path, False), f"alone {k + 1}")
            with ThreadPoolExecutor(len(paths)) as pool:
                for k in range(args.rounds):
                    futures = [pool.submit(one, path, True) for path in paths]
                    for future in futures:
                        record(future.result(), f"round {k + 1}")
            tables.append(summary(runs[mine_from:], paths, args.executor))
            print("\n" + tables[-1] + "\n", flush=True)
    stalled = [r for r in runs if r.problem]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{len(stalled)} of {len(runs)} runs stalled or failed (executor {args.executor}; load average {load:.1f} "
          "at the end)", flush=True)
    return 1 if stalled else 0


if __name__ == "__main__":
    sys.exit(main())
