r"""Quality at equal budget: flowlib and zuko trained the same way on 2-D toys with a known density.

    python benchmarks/quality.py                    # the published table (make bench)
    python benchmarks/quality.py --steps 300        # a quick look

For each toy ('eight_gaussians', 'checkerboard') and model (MAF: 5 layers, RealNVP: 8 couplings, hidden
(64, 64)), both libraries get the same architecture (parameter counts checked), the same
parameter-initialisation seed, the same optimiser (Adam, cosine learning-rate decay), the same
number of steps and exactly the same mini-batches (one index stream, drawn from a seeded
generator). Reported: the held-out negative log-likelihood minus the toy's true entropy H(p),
the gap KL(p || q) that no model can push below 0, averaged over ``--seeds`` runs.

Only the libraries' own choices differ: flowlib starts every layer at the identity (zeroed last
layer) and bounds the log-scale with bound·tanh(α/bound); zuko uses PyTorch's default
initialisation and its soft clip of the log-scale.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "benchmarks"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import compare  # noqa: E402

from flowlib import count_parameters, toy_data, toy_entropy  # noqa: E402

TOYS = ("eight_gaussians", "checkerboard")


def train(built: compare.Built, data: torch.Tensor, steps: int, batch_size: int, lr: float, batch_seed: int) -> None:
    """Maximum likelihood with Adam and cosine decay; the batches come from ``batch_seed`` alone."""
    optimizer = torch.optim.Adam(built.module.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
    batches = torch.Generator().manual_seed(batch_seed)
    for _ in range(steps):
        index = torch.randint(len(data), (batch_size,), generator=batches).to(data.device)
        loss = -built.log_prob(data[index]).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()


def held_out_nll(built: compare.Built, test: torch.Tensor) -> float:
    """Mean -log q(x) over the held-out points, in nats."""
    with torch.no_grad():
        return float(-built.log_prob(test).mean())


def run(toys=TOYS, models=compare.MODELS, libraries=("flowlib", "zuko"), seeds=(0, 1, 2, 3), steps: int = 2000,
        batch_size: int = 256, lr: float = 2e-3, hidden=(64, 64), n_train: int = 20_000, n_test: int = 20_000,
        device="cpu", progress: bool = False) -> list[dict]:
    """Train every (toy, model, library, seed); one row per (toy, model) with each library's mean gap.

    Row keys: ``toy``, ``model``, ``entropy``, ``params``, and per library ``<lib> NLL`` and
    ``<lib> gap`` (means over seeds) and ``<lib> gaps`` (the list), and ``<lib> s`` (training time).
    """
    rows = []
    for toy in toys:
        data = toy_data(toy, n_train, seed=1).to(device)
        test = toy_data(toy, n_test, seed=2).to(device)
        entropy = toy_entropy(toy)
        for model in models:
            row = {"toy": toy, "model": model, "entropy": entropy}
            params = set()
            for lib in libraries:
                nlls, seconds = [], []
                for seed in seeds:
                    torch.manual_seed(seed)  # the same initialisation seed for every library
                    built = compare.build(lib, model, 2, hidden, device=device)
                    params.add(count_parameters(built.module))
                    start = time.perf_counter()
                    train(built, data, steps, batch_size, lr, batch_seed=1000 + seed)
                    seconds.append(time.perf_counter() - start)
                    nlls.append(held_out_nll(built, test))
                    if progress:
                        print(f"  {toy} {model} {lib} seed {seed}: NLL - H = {nlls[-1] - entropy:.3f} "
                              f"({seconds[-1]:.0f} s)", file=sys.stderr, flush=True)
                row[f"{lib} NLL"] = statistics.mean(nlls)
                row[f"{lib} gaps"] = [nll - entropy for nll in nlls]
                row[f"{lib} gap"] = statistics.mean(row[f"{lib} gaps"])
                row[f"{lib} s"] = statistics.mean(seconds)
            if len(params) != 1:
                raise RuntimeError(f"{toy} {model}: the architectures differ, parameter counts {sorted(params)}")
            row["params"] = params.pop()
            rows.append(row)
    return rows


def format_table(rows: list[dict], libraries=("flowlib", "zuko")) -> str:
    """A Markdown table: toy, model, parameters, H(p), and each library's held-out NLL and gap."""
    head = ["toy", "model", "parameters", "H(p) nats"]
    for lib in libraries:
        head += [f"{lib} NLL", f"{lib} NLL - H"]
    head.append("train s/run " + " / ".join(libraries))
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        cells = [row["toy"], row["model"], f"{row['params']:,}", f"{row['entropy']:.3f}"]
        for lib in libraries:
            spread = f" ± {statistics.stdev(row[f'{lib} gaps']):.3f}" if len(row[f"{lib} gaps"]) > 1 else ""
            cells += [f"{row[f'{lib} NLL']:.3f}", f"{row[f'{lib} gap']:.3f}{spread}"]
        cells.append(" / ".join(f"{row[f'{lib} s']:.1f}" for lib in libraries))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--toys", nargs="+", default=list(TOYS), choices=TOYS)
    parser.add_argument("--models", nargs="+", default=list(compare.MODELS), choices=compare.MODELS)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seeds", type=int, default=4, help="runs per (toy, model, library), seeds 0..n-1")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    if "zuko" in compare.missing_libraries():
        print("quality.py needs zuko: run `make bench`, or pip install -r benchmarks/requirements.txt", file=sys.stderr)
        return 2
    print(f"# {compare.machine_description(args.device)}")
    print(f"# {args.steps} Adam steps, lr {args.lr} with cosine decay, batch {args.batch}, the same batches for "
          f"both libraries; hidden (64, 64); mean ± sd over seeds 0..{args.seeds - 1}; "
          f"held-out NLL on 20,000 fresh points\n", flush=True)
    rows = run(args.toys, args.models, seeds=tuple(range(args.seeds)), steps=args.steps, batch_size=args.batch,
               lr=args.lr, device=args.device, progress=True)
    print(format_table(rows))
    wins = sum(row["flowlib gap"] <= row["zuko gap"] for row in rows)
    print(f"\nflowlib's gap <= zuko's in {wins} of {len(rows)} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
