r"""flowlib against zuko and nflows: the same flows, timed in one run on one machine.

    python benchmarks/compare.py                          # the published table (make bench)
    python benchmarks/compare.py --dims 8 --repeats 5     # a quick look while developing
    python benchmarks/compare.py --device cuda            # the same on a GPU

Architectures (identical in the three libraries; the parameter counts are printed and checked):

- MAF: 5 MADE layers with hidden widths (128, 128), ReLU, the variable order reversed between layers.
- RealNVP: 8 affine couplings, alternating halves, each with an MLP d -> 128 -> 128 -> 2(D - d), ReLU.

Figures, each the median of ``--repeats`` timings after ``--warmup`` untimed calls, with the
libraries interleaved call by call so that a busy machine slows all three alike:

- ``log_prob``: density of a batch (1024 points), under ``torch.no_grad()``.
- ``train step``: ``-log_prob(batch).mean()``, backward, one Adam step.
- ``sample``: 1024 points, under ``torch.no_grad()``.
- ``bare MLPs`` (MAF ``log_prob`` only): flowlib's five MADE networks run one after the other on the batch,
  nothing else: the floor of a MAF's density, all of whose other work is element-wise. Timed in the same
  interleaved rounds and in the same autograd mode as ``log_prob`` (``torch.no_grad()`` on both sides, so
  neither pays for a graph): ``flowlib / bare MLPs`` is what a user computing densities pays on top of the
  networks (goal <= 1.2).
- ``bare loop`` (same row): the same density written out by hand on those networks, the element-wise
  arithmetic that any implementation of this MAF must do (bound·tanh(α/bound), exp, the affine map, the
  log-det sums, the reversals, log p_Z) and nothing else: no checks, no layer objects. ``bare loop / bare
  MLPs`` is the floor that arithmetic sets under ``flowlib / bare MLPs`` on the machine at hand.
- ``unclamped loop`` (same row): the bare loop with α taken as the network gives it, as the slides write
  α_θ (no soft clamp; a different density, so it is not checked against ``log_prob``). ``unclamped loop /
  bare MLPs`` is what exp, the affine map, the sums and the reversals alone cost: the floor of any MAF
  density on these networks, whatever its clamp.

Directions: zuko and nflows call the data -> noise map "forward", flowlib (like the slides) calls
it ``inverse``. What is compared is the same work in each: density through the parallel direction
(one MADE pass per MAF layer), sampling through the sequential one (D passes per MAF layer).

The only differences left are in the one-line element-wise map from the network's output to the
log-scale (flowlib: bound·tanh(α/bound); zuko: a soft clip; nflows: log(sigmoid(a+2) + 1e-3) for
couplings and log(softplus(a) + 1e-3) for MAF), a few element-wise operations on (B, D) tensors.
"""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from a fresh clone, before `pip install -e .`
    sys.path.insert(0, str(ROOT))

import flowlib  # noqa: E402

LIBRARIES = ("flowlib", "zuko", "nflows")
MODELS = ("MAF", "RealNVP")
FIGURES = ("log_prob", "train step", "sample")


@dataclass
class Built:
    """One library's flow behind a common face: ``log_prob(x) -> (B,)``, ``sample(n) -> (n, D)``."""

    library: str
    module: nn.Module
    log_prob: Callable[[torch.Tensor], torch.Tensor]
    sample: Callable[[int], torch.Tensor]


def missing_libraries() -> list[str]:
    """The comparison libraries (zuko, nflows) that are not installed."""
    missing = []
    for name in LIBRARIES[1:]:
        try:
            __import__(name)
        except ImportError:
            missing.append(name)
    return missing


# ---- the three libraries, one builder each ----------------------------------------------------

def build_flowlib(model: str, dim: int, layers: int, hidden) -> Built:
    flow = flowlib.make_maf(dim, layers, hidden) if model == "MAF" else flowlib.make_realnvp(dim, layers, hidden)
    return Built("flowlib", flow, flow.log_prob, flow.sample)


def build_zuko(model: str, dim: int, layers: int, hidden) -> Built:
    import zuko

    if model == "MAF":  # orders alternate ascending / descending, as flowlib's Reverse does
        flow = zuko.flows.MAF(dim, transforms=layers, hidden_features=tuple(hidden))
    else:
        flow = zuko.flows.RealNVP(dim, transforms=layers, hidden_features=tuple(hidden))
    # zuko flows are lazy: flow() builds the distribution; calling it each time is zuko's idiom.
    return Built("zuko", flow, lambda x: flow().log_prob(x), lambda n: flow().sample((n,)))


class _NflowsMLP(nn.Module):
    """The coupling network d -> hidden... -> out; nflows calls it as ``net(x, context)``."""

    def __init__(self, n_in: int, n_out: int, hidden):
        super().__init__()
        widths = [n_in, *hidden]
        layers = []
        for a, b in zip(widths[:-1], widths[1:]):
            layers += [nn.Linear(a, b), nn.ReLU()]
        self.net = nn.Sequential(*layers, nn.Linear(widths[-1], n_out))

    def forward(self, x, context=None):
        return self.net(x)


def build_nflows(model: str, dim: int, layers: int, hidden) -> Built:
    from nflows.distributions.normal import StandardNormal
    from nflows.flows.base import Flow
    from nflows.transforms import AffineCouplingTransform, CompositeTransform, MaskedAffineAutoregressiveTransform
    from nflows.transforms.permutations import ReversePermutation

    hidden = tuple(hidden)
    transforms = []
    if model == "MAF":
        if len(set(hidden)) != 1:
            raise ValueError(f"nflows' MADE has one hidden width repeated, got hidden={hidden}")
        for k in range(layers):
            if k:
                transforms.append(ReversePermutation(dim))
            # num_blocks=1 without residual blocks: D -> h -> h -> 2D, ReLU after each hidden layer.
            transforms.append(MaskedAffineAutoregressiveTransform(
                dim, hidden[0], num_blocks=len(hidden) - 1, use_residual_blocks=False))
    else:
        for k in range(layers):
            mask = (torch.arange(dim) < dim // 2) if k % 2 else (torch.arange(dim) >= dim // 2)  # 1 = transformed
            transforms.append(AffineCouplingTransform(mask.int(), lambda a, b: _NflowsMLP(a, b, hidden)))
    flow = Flow(CompositeTransform(transforms), StandardNormal([dim]))
    return Built("nflows", flow, flow.log_prob, flow.sample)


BUILDERS = {"flowlib": build_flowlib, "zuko": build_zuko, "nflows": build_nflows}


def build(library: str, model: str, dim: int, hidden=(128, 128), layers: int | None = None, device="cpu") -> Built:
    """``library``'s ``model`` ("MAF": 5 layers, "RealNVP": 8 couplings by default) at dimension ``dim``."""
    if model not in MODELS:
        raise ValueError(f"build: model must be one of {MODELS}, got {model!r}")
    if layers is None:
        layers = 5 if model == "MAF" else 8
    built = BUILDERS[library](model, dim, layers, hidden)
    built.module.to(device)
    return built


# ---- timing --------------------------------------------------------------------------------------

def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def figure_calls(built: Built, x: torch.Tensor, lr: float = 1e-3) -> dict[str, Callable[[], object]]:
    """The three timed operations of one library, each a no-argument function."""
    optimizer = torch.optim.Adam(built.module.parameters(), lr=lr)

    def log_prob():
        with torch.no_grad():
            return built.log_prob(x)

    def train_step():
        optimizer.zero_grad(set_to_none=True)
        loss = -built.log_prob(x).mean()
        loss.backward()
        optimizer.step()
        return loss

    def sample():
        with torch.no_grad():
            return built.sample(x.shape[0])

    return {"log_prob": log_prob, "train step": train_step, "sample": sample}


def time_interleaved(calls: dict[str, Callable[[], object]], repeats: int, warmup: int, device,
                     clock: Callable[[], float] = time.perf_counter) -> dict[str, float]:
    """Median milliseconds of each call; the calls take turns, so background load hits them alike.

    ``clock`` is wall time by default; ``time.process_time`` (CPU time of this process) is steadier
    on a machine shared with other work, and equal to wall time for one thread on an idle CPU.
    """
    device = torch.device(device)
    for _ in range(warmup):
        for fn in calls.values():
            fn()
    _sync(device)
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(repeats):
        for name, fn in calls.items():
            _sync(device)
            start = clock()
            fn()
            _sync(device)
            times[name].append(1000 * (clock() - start))
    return {name: statistics.median(t) for name, t in times.items()}


def bare_mlps(built: Built, x: torch.Tensor) -> Callable[[], object]:
    """flowlib's MAF networks (each layer's MADE, ``made.net``) run bare on ``x``, under ``torch.no_grad()``."""
    nets = [layer.made.net for layer in built.module.layers if hasattr(layer, "made")]

    def run():
        with torch.no_grad():
            for net in nets:
                net(x)
    return run


def bare_loop(built: Built, x: torch.Tensor, clamp: bool = True) -> Callable[[], torch.Tensor]:
    """flowlib's MAF density by hand on its own networks and bounds, under ``torch.no_grad()`` (see the module doc).

    ``clamp=False``: α as the network gives it (the ``unclamped loop``), not flowlib's density.
    """
    steps = [(layer.made.net, layer.bound) if hasattr(layer, "made") else None  # None: a Reverse
             for layer in reversed(built.module.layers)]
    constant = 0.5 * x.shape[1] * math.log(2 * math.pi)

    def run():
        with torch.no_grad():
            v, log_det = x, 0
            for step in steps:
                if step is None:
                    v = v.flip(1)
                    continue
                net, bound = step
                mu, a = net(v).chunk(2, dim=-1)
                alpha = bound * torch.tanh(a / bound) if clamp else a
                v = (v - mu) / alpha.exp()
                log_det = log_det - alpha.sum(-1)
            return -0.5 * v.pow(2).sum(-1) - constant + log_det
    return run


def sanity_check(built: Built, x: torch.Tensor) -> None:
    """Each flow's log_prob is finite with shape (B,), and its samples have shape (n, D)."""
    with torch.no_grad():
        lp = built.log_prob(x)
        s = built.sample(4)
    if lp.shape != (x.shape[0],) or not bool(torch.isfinite(lp).all()):
        raise RuntimeError(f"{built.library}: log_prob gave shape {tuple(lp.shape)} or non-finite values")
    if s.shape != (4, x.shape[1]):
        raise RuntimeError(f"{built.library}: sample(4) gave shape {tuple(s.shape)}, expected (4, {x.shape[1]})")


def compare(models=MODELS, dims=(8, 64), batch: int = 1024, hidden=(128, 128), repeats: int = 20, warmup: int = 3,
            device="cpu", libraries=LIBRARIES, seed: int = 0, clock: Callable[[], float] = time.perf_counter) -> list[dict]:
    """Build every (model, dim) in every library, check the parameter counts agree, time the figures.

    Returns one row per (model, dim, figure): ``{"model", "dim", "figure", "params", <library>: ms}``.
    """
    rows = []
    for model in models:
        for dim in dims:
            torch.manual_seed(seed)
            x = torch.randn(batch, dim, device=device)
            built = {lib: build(lib, model, dim, hidden, device=device) for lib in libraries}
            params = {lib: flowlib.count_parameters(b.module) for lib, b in built.items()}
            if len(set(params.values())) != 1:
                raise RuntimeError(f"{model} D={dim}: the architectures differ, parameter counts {params}")
            for b in built.values():
                sanity_check(b, x)
            calls = {lib: figure_calls(b, x) for lib, b in built.items()}
            for figure in FIGURES:
                timed = {lib: calls[lib][figure] for lib in libraries}
                if model == "MAF" and figure == "log_prob" and "flowlib" in built:
                    timed["bare MLPs"] = bare_mlps(built["flowlib"], x)
                    timed["bare loop"] = bare_loop(built["flowlib"], x)
                    timed["unclamped loop"] = bare_loop(built["flowlib"], x, clamp=False)
                    with torch.no_grad():  # the loop computes flowlib's density, or it is no floor of it
                        if not torch.allclose(timed["bare loop"](), built["flowlib"].log_prob(x), rtol=1e-4, atol=1e-4):
                            raise RuntimeError(f"MAF D={dim}: the bare loop does not compute flowlib's log_prob")
                ms = time_interleaved(timed, repeats, warmup, device, clock)
                rows.append({"model": model, "dim": dim, "figure": figure, "params": params["flowlib"], **ms})
    return rows


def ratio(row: dict, libraries=LIBRARIES) -> float:
    """flowlib's time over the fastest other library's (<= 1: flowlib is at least as fast)."""
    others = [row[lib] for lib in libraries if lib != "flowlib"]
    return row["flowlib"] / min(others)


def format_table(rows: list[dict], libraries=LIBRARIES) -> str:
    """A Markdown table: model, D, figure, parameters, each library's median ms, the ratio."""
    head = ["model", "D", "figure", "parameters", *(f"{lib} ms" for lib in libraries)]
    if len(libraries) > 1:
        head.append("flowlib / fastest other")
    bare = any("bare MLPs" in row for row in rows)
    if bare:
        head += ["bare MLPs ms", "flowlib / bare MLPs", "bare loop / bare MLPs", "unclamped loop / bare MLPs"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        cells = [row["model"], str(row["dim"]), row["figure"], f"{row['params']:,}",
                 *(f"{row[lib]:.2f}" for lib in libraries)]
        if len(libraries) > 1:
            cells.append(f"{ratio(row, libraries):.2f}")
        if bare:
            cells += ([f"{row['bare MLPs']:.2f}", f"{row['flowlib'] / row['bare MLPs']:.2f}",
                       f"{row['bare loop'] / row['bare MLPs']:.2f}", f"{row['unclamped loop'] / row['bare MLPs']:.2f}"]
                      if "bare MLPs" in row else ["", "", "", ""])
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def machine_description(device) -> str:
    """Where the numbers were taken: CPU or GPU model, threads, versions."""
    device = torch.device(device)
    if device.type == "cuda":
        where = f"GPU {torch.cuda.get_device_name(device)}"
    else:
        where = f"CPU {_cpu_model()} ({torch.get_num_threads()} torch threads)"
    versions = [f"torch {torch.__version__}", f"flowlib {flowlib.__version__}"]
    for name in LIBRARIES[1:]:
        try:
            versions.append(f"{name} {__import__(name).__version__}")
        except (ImportError, AttributeError):
            pass
    return f"{where}; Python {platform.python_version()}; " + ", ".join(versions)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument("--dims", nargs="+", type=int, default=[8, 64])
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="cpu: this process's CPU time, steadier on a shared machine (use with --threads 1)")
    args = parser.parse_args(argv)
    if args.clock == "cpu" and torch.device(args.device).type == "cuda":
        parser.error("--clock cpu measures the CPU only; time a GPU with --clock wall")

    missing = missing_libraries()
    if missing:
        print(f"compare.py needs {' and '.join(missing)}: run `make bench`, or "
              f"pip install -r benchmarks/requirements.txt", file=sys.stderr)
        return 2
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"# {machine_description(args.device)}")
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    print(f"# batch {args.batch}, median {args.clock} time of {args.repeats} runs after {args.warmup} warm-up runs, "
          f"libraries interleaved; MADE / coupling MLP hidden (128, 128)\n", flush=True)
    rows = compare(args.models, args.dims, args.batch, repeats=args.repeats, warmup=args.warmup, device=args.device,
                   clock=clock)
    print(format_table(rows))
    worst = max(ratio(r) for r in rows)
    print(f"\nlargest ratio flowlib / fastest other: {worst:.2f}")
    bare = [r["flowlib"] / r["bare MLPs"] for r in rows if "bare MLPs" in r]
    if bare:
        floor = [r["bare loop"] / r["bare MLPs"] for r in rows if "bare MLPs" in r]
        unclamped = [r["unclamped loop"] / r["bare MLPs"] for r in rows if "bare MLPs" in r]
        print(f"MAF log_prob / its bare MLPs: {', '.join(f'{b:.2f}' for b in bare)} (goal <= 1.2); "
              f"the bare loop's: {', '.join(f'{b:.2f}' for b in floor)}; "
              f"the unclamped loop's: {', '.join(f'{b:.2f}' for b in unclamped)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
