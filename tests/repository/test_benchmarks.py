"""The benchmark machinery (benchmarks/compare.py, quality.py) at tiny size, and a speed bound for flowlib.

The comparison tests need zuko and nflows (development-only: `make bench` installs them); they are
skipped with that reason when either is missing. The speed bound needs only torch.
"""

from __future__ import annotations

import math
import statistics
import sys
import time
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import compare  # noqa: E402
import quality  # noqa: E402

from flowlib import made_masks, make_maf, toy_data  # noqa: E402

needs_others = pytest.mark.skipif(
    bool(compare.missing_libraries()),
    reason=f"{' and '.join(compare.missing_libraries())} not installed: `make bench` "
           "(or pip install -r benchmarks/requirements.txt) installs the comparison libraries",
)


@pytest.fixture(autouse=True)
def one_thread():
    """One torch thread: these tests time and train small models, and on a busy machine a second
    thread waiting for a core makes every small matmul slow (the setting is restored afterwards)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@needs_others
def test_compare_runs_every_library_model_and_figure_at_tiny_size():
    rows = compare.compare(dims=(3,), batch=16, hidden=(8, 8), repeats=1, warmup=0)
    assert [(r["model"], r["figure"]) for r in rows] == [(m, f) for m in compare.MODELS for f in compare.FIGURES]
    for row in rows:
        for lib in compare.LIBRARIES:
            assert math.isfinite(row[lib]) and row[lib] > 0, (row, lib)
        assert compare.ratio(row) == pytest.approx(row["flowlib"] / min(row["zuko"], row["nflows"]))
    assert all(("bare MLPs" in r) == ("bare loop" in r) == (r["model"] == "MAF" and r["figure"] == "log_prob") for r in rows)
    table = compare.format_table(rows)
    assert table.count("\n") == len(rows) + 1 and "flowlib / fastest other" in table and "flowlib / bare MLPs" in table
    assert "bare loop / bare MLPs" in table and "unclamped loop / bare MLPs" in table
    assert all(("unclamped loop" in r) == ("bare MLPs" in r) for r in rows)


@needs_others
@pytest.mark.parametrize("model", compare.MODELS)
@pytest.mark.parametrize("dim", [2, 5])
def test_architectures_are_identical_in_the_three_libraries(model, dim):
    counts = {lib: sum(p.numel() for p in compare.build(lib, model, dim, (16, 16)).module.parameters())
              for lib in compare.LIBRARIES}
    assert len(set(counts.values())) == 1, counts
    # and the count is the architecture's by hand: MADE D -> 16 -> 16 -> 2D per MAF layer,
    # MLP d -> 16 -> 16 -> 2(D - d) per coupling, alternating halves
    if model == "MAF":
        expected = 5 * ((dim * 16 + 16) + (16 * 16 + 16) + (16 * 2 * dim + 2 * dim))
    else:
        expected = sum((d * 16 + 16) + (16 * 16 + 16) + (16 * 2 * (dim - d) + 2 * (dim - d))
                       for d in [dim // 2, dim - dim // 2] * 4)
    assert counts["flowlib"] == expected


@needs_others
def test_compare_refuses_architectures_that_differ(monkeypatch):
    original = compare.BUILDERS["zuko"]
    monkeypatch.setitem(compare.BUILDERS, "zuko", lambda model, dim, layers, hidden: original(model, dim, layers, (9, 9)))
    with pytest.raises(RuntimeError, match="architectures differ"):
        compare.compare(models=("MAF",), dims=(3,), batch=8, hidden=(8, 8), repeats=1, warmup=0)


@needs_others
def test_quality_trains_both_libraries_on_the_same_batches_and_reports_the_gap():
    rows = quality.run(toys=("checkerboard",), models=("RealNVP",), seeds=(0,), steps=30, batch_size=64,
                       hidden=(8, 8), n_train=500, n_test=500)
    (row,) = rows
    assert row["entropy"] == pytest.approx(math.log(8))
    for lib in ("flowlib", "zuko"):
        assert row[f"{lib} gap"] == pytest.approx(row[f"{lib} NLL"] - row["entropy"])
        assert math.isfinite(row[f"{lib} NLL"])
    assert "checkerboard" in quality.format_table(rows)


def test_quality_training_improves_a_flowlib_flow():
    """The shared training loop really optimises (a broken loop would leave the NLL where it starts)."""
    torch.manual_seed(0)
    built = compare.build("flowlib", "RealNVP", 2, (16, 16), layers=4)
    data, test = toy_data("eight_gaussians", 2000, seed=1), toy_data("eight_gaussians", 2000, seed=2)
    before = quality.held_out_nll(built, test)
    quality.train(built, data, steps=60, batch_size=128, lr=1e-2, batch_seed=0)
    assert quality.held_out_nll(built, test) < before - 0.5


def _median_ms(fns, repeats: int) -> list[float]:
    """Median milliseconds of each function, the functions taking turns (load hits them alike)."""
    times = [[] for _ in fns]
    for _ in range(repeats):
        for fn, t in zip(fns, times):
            start = time.perf_counter()
            fn()
            t.append(1000 * (time.perf_counter() - start))
    return [statistics.median(t) for t in times]


def test_flowlib_maf_log_prob_is_within_10x_of_plain_torch():
    """flowlib's MAF density (D = 8, 5 layers, MADE (128, 128), batch 1024) against the same arithmetic
    written as bare torch calls, timed in the same test; 10x is generous (flowlib is measured at
    about 1.1x), so only a real regression (a Python loop over points, a Jacobian by autograd,
    a sequential pass in the density direction) fails it."""
    dim, hidden, layers = 8, (128, 128), 5
    torch.manual_seed(0)
    flow = make_maf(dim, layers, hidden)
    x = torch.randn(1024, dim)
    masks = made_masks(dim, hidden)
    weights = [[(torch.randn(m.shape) * 0.1, torch.zeros(m.shape[0])) for m in masks] for _ in range(layers)]

    def baseline():
        z, log_det = x, 0
        for layer in weights:
            h = z
            for k, ((w, b), m) in enumerate(zip(layer, masks)):
                h = F.linear(h, w * m, b)
                if k < len(masks) - 1:
                    h = F.relu(h)
            mu, alpha = h.chunk(2, dim=-1)
            z = ((z - mu) * torch.exp(-alpha)).flip(1)
            log_det = log_det - alpha.sum(-1)
        return -0.5 * z.pow(2).sum(-1) + log_det

    with torch.no_grad():
        for fn in (baseline, lambda: flow.log_prob(x)):
            fn()  # warm up
        flowlib_ms, baseline_ms = _median_ms([lambda: flow.log_prob(x), baseline], 15)
    assert flowlib_ms <= 10 * baseline_ms, f"flowlib {flowlib_ms:.2f} ms vs plain torch {baseline_ms:.2f} ms"
