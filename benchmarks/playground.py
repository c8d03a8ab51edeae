r"""The playground's speed (notebook 08): training with the picture live against without, frame times,
and the time from Train to the first frame.

    .venv/bin/python benchmarks/playground.py [--seconds 6] [--rounds 2] [--model RealNVP] [--data moons]

Without a kernel: the page (``flowlib.lessons.n08_playground.Playground``, real widgets, no frontend) runs
its training task on an asyncio loop of this process, as it does on the kernel's loop. "no display"
is ``Session.step`` in the same chunks for the same time. The two alternate ``--rounds`` times, so a
change in the machine's load hits both; the medians are printed. Goals (issue 16): the display costs
at most 25 % of the training steps, a frame's median at most 100 ms, the first frame within 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from flowlib.lessons.n08_playground.session import Settings
from flowlib.lessons.n08_playground.views import CHUNK_S, Playground


def steps_without_display(settings: Settings, seconds: float) -> float:
    app = Playground(settings)  # the same fresh model as the displayed run
    session, start = app.session, time.perf_counter()
    while time.perf_counter() - start < seconds:
        chunk = time.perf_counter()
        while time.perf_counter() - chunk < CHUNK_S:
            session.step(5)
    return len(session.losses) / (time.perf_counter() - start)


def steps_with_display(settings: Settings, seconds: float) -> tuple[float, float, list[float]]:
    r"""Steps per second, seconds from Train to the first new frame, and the blitted frames' times."""
    app = Playground(settings)

    async def run():
        frames, start = app.frames, time.perf_counter()
        app.train()
        first = None
        while time.perf_counter() - start < seconds:
            await asyncio.sleep(0.005)
            if first is None and app.frames > frames:
                first = time.perf_counter() - start
        app.pause()
        await app.task
        return first, time.perf_counter() - start

    blits = len(app.blit_times)
    first, elapsed = asyncio.run(run())
    return len(app.session.losses) / elapsed, first, app.blit_times[blits:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--model", default="RealNVP")
    parser.add_argument("--data", default="moons")
    args = parser.parse_args()
    settings = Settings(model=args.model, data=args.data)
    bare, live, firsts, frames = [], [], [], []
    for _ in range(args.rounds):
        bare.append(steps_without_display(settings, args.seconds))
        rate, first, times = steps_with_display(settings, args.seconds)
        live.append(rate)
        firsts.append(first)
        frames += times
    no_display, display = statistics.median(bare), statistics.median(live)
    cost = 1 - display / no_display
    median_ms = 1000 * statistics.median(frames)
    p90_ms = 1000 * statistics.quantiles(frames, n=10)[-1] if len(frames) > 1 else median_ms
    first = max(firsts)
    print(f"playground: {args.model} on {args.data}, {args.rounds} x {args.seconds:.0f} s each way")
    print(f"training steps/s, no display     {no_display:8.1f}   (rounds: {', '.join(f'{r:.1f}' for r in bare)})")
    print(f"training steps/s, display live   {display:8.1f}   (rounds: {', '.join(f'{r:.1f}' for r in live)})")
    print(f"display cost                     {100 * cost:7.1f} %   goal <= 25 %   {'ok' if cost <= 0.25 else 'MISSED'}")
    print(f"frame redraw median / p90 (ms)   {median_ms:8.1f} / {p90_ms:.1f}   goal median <= 100 ms   "
          f"{'ok' if median_ms <= 100 else 'MISSED'}   ({len(frames)} frames)")
    print(f"first frame after Train (s)      {first:8.2f}   goal <= 1 s   {'ok' if first <= 1 else 'MISSED'}")


if __name__ == "__main__":
    main()
