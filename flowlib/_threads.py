r"""torch on one CPU thread for a block of small tensor work (training a small flow, a slider's update).

The flows here are small (64-unit networks, batches of 128-256): a training step of notebook 04's toy
RealNVP needs ~10 ms of one core, so a second thread can save little even on an idle machine
(``scripts/make_figures.py`` pins one thread for the same reason). On a busy machine (a CPU shared
with another kernel, a crowded Binder or JupyterHub node) torch's extra worker thread makes every
operation wait until the scheduler has given *both* threads a core, while the waiting thread
spin-waits on it. Measured on the loaded 2-core machine (load average ~16), 200 training steps of
that RealNVP: 8.7-11.2 s and 2.1-2.3 s CPU with one thread, 107-109 s and 22-24 s CPU with two. Two
notebooks that train at once on two cores already share them like that. Slider updates: a
(2304, 2) @ (2, 2) product took 30-45 ms with 2 threads on the loaded machine, BEND_MAP's update
32 ms against 4 ms.
"""

from __future__ import annotations

import contextlib

__all__ = ["one_thread"]


@contextlib.contextmanager
def one_thread():
    r"""Run the block with ``torch.set_num_threads(1)`` and restore the previous count afterwards."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
