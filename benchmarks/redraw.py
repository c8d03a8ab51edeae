r"""How long a slider redraw takes: every Demo of every lesson (``flowlib.lessons.nNN_<stem>.views``), one view
of its ``example_state()`` moved through every setting of its ``settings()`` and rendered to PNG after each move, as
``Demo.show`` displays it, ``--repeats`` times after one warm-up pass.

    python benchmarks/redraw.py                 # every demo
    python benchmarks/redraw.py nice realnvp    # demos whose name starts with one of these
    python benchmarks/redraw.py --repeats 10

Prints one row per demo: settings drawn; the median ms of building the view and rendering it the
first time (when the widget appears); the median ms of ``update`` alone (changing the artists); then
median, p90 and max ms of update plus the render to PNG (what a student waits for after a slider
move), and whether that median meets the 100 ms goal. Exits with status 1 when a median misses it.
The slider tests assert 10x the goal (tests/lessons/test_sliders_headless.py): timings on a busy machine are
noisy, a real regression is not.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import matplotlib

GOAL_MS = 100.0


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values``, linear between order statistics."""
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("prefixes", nargs="*", help="only demos whose name starts with one of these")
    parser.add_argument("--repeats", type=int, default=5, help="timed passes over the settings (default 5)")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")

    matplotlib.use("Agg")  # a script, not a notebook: draw off-screen
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the slider tests' harness
    from demo_harness import all_demos, exercise, settings

    demos = {name: demo for name, demo in all_demos().items()
             if not args.prefixes or any(name.startswith(prefix) for prefix in args.prefixes)}
    if not demos:
        print(f"no demo matches {args.prefixes}", file=sys.stderr)
        return 2
    print(f"{'':42s} {'':8s} {'first':>8s} {'update':>8s} {'update + render to PNG':>28s}")
    print(f"{'demo':42s} {'settings':>8s} {'median':>8s} {'median':>8s} {'median':>8s} {'p90':>8s} {'max':>8s}"
          f"  ms, goal {GOAL_MS:.0f} ms")
    slow = []
    for name, demo in demos.items():
        state = demo.example_state()
        exercise(demo, state)  # warm-up
        firsts = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            view = demo.build(*state)
            view.update(**settings(demo)[0])
            view.png()
            firsts.append(1000 * (time.perf_counter() - start))
        timings = exercise(demo, state, repeats=args.repeats)
        ms = [1000 * t.total for t in timings]
        update = statistics.median(1000 * t.update for t in timings)
        median = statistics.median(ms)
        verdict = "ok" if median <= GOAL_MS else "SLOW"
        if median > GOAL_MS:
            slow.append(name)
        print(f"{name:42s} {len(ms) // args.repeats:8d} {statistics.median(firsts):8.1f} {update:8.1f} {median:8.1f} "
              f"{percentile(ms, 0.9):8.1f} {max(ms):8.1f}  {verdict}", flush=True)
    if slow:
        print(f"median over {GOAL_MS:.0f} ms: {', '.join(slow)}")
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
