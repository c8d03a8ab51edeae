"""Property-based tests (hypothesis): random dims, widths, parities, dtypes, batch sizes and values.

Every public layer and builder either returns finite, correctly shaped results that agree with
autograd, or raises a ``FlowlibError`` that names what was expected. The layers come from the one
registry (``layer_registry.py``). Derandomized, so a CI run is repeatable; about a minute in all.
"""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from layer_registry import BUILDERS, LAYER_CLASSES, MIN_DIM, WITH_HIDDEN, perturbed

from flowlib import FlowlibError, jacobian

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
DTYPES = {"float32": torch.float32, "float64": torch.float64}
# Round trip and log-det tolerances per dtype, for parameters moved by 0.3 and inputs within ±3.
ATOL = {torch.float32: 1e-3, torch.float64: 1e-9}

hidden_widths = st.lists(st.integers(1, 8), min_size=1, max_size=2).map(tuple)


@st.composite
def layers(draw, names=tuple(LAYER_CLASSES)):
    """A layer of any class in the registry, of a random dim, width, parity and dtype, moved off the identity."""
    name = draw(st.sampled_from(names))
    dim = draw(st.integers(MIN_DIM[name], 6))
    kwargs = {}
    if name in WITH_HIDDEN:
        kwargs["hidden"] = draw(hidden_widths)
    if name in ("AdditiveCoupling", "AffineCoupling"):
        kwargs["parity"] = draw(st.sampled_from((0, 1)))
    layer = LAYER_CLASSES[name](dim, **kwargs)
    dtype = DTYPES[draw(st.sampled_from(sorted(DTYPES)))]
    return perturbed(layer.to(dtype), seed=draw(st.integers(0, 2**16))), dtype


def points(draw, batch: int, dim: int, dtype) -> torch.Tensor:
    seed = draw(st.integers(0, 2**16))
    uniform = torch.rand(batch, dim, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return (6 * uniform - 3).to(dtype)  # within ±3


@SETTINGS
@given(data=st.data(), case=layers(), batch=st.integers(0, 5))
def test_layers_return_finite_shaped_results_that_agree_with_autograd(data, case, batch):
    layer, dtype = case
    z = points(data.draw, batch, layer.dim, dtype)
    x, log_det = layer(z)
    back, log_det_inv = layer.inverse(x)
    assert x.shape == back.shape == (batch, layer.dim) and log_det.shape == log_det_inv.shape == (batch,)
    assert x.dtype == log_det.dtype == back.dtype == log_det_inv.dtype == dtype  # never mixed dtypes
    assert all(bool(torch.isfinite(t).all()) for t in (x, log_det, back, log_det_inv))
    torch.testing.assert_close(back, z, rtol=0, atol=ATOL[dtype] * (1 + float(z.abs().amax()) if batch else 1))
    torch.testing.assert_close(log_det_inv, -log_det, rtol=0, atol=ATOL[dtype])
    if batch and dtype == torch.float64:  # autograd's Jacobian, at two points at most (the costly part)
        slogdet = torch.linalg.slogdet(jacobian(layer.forward, z[:2])).logabsdet
        torch.testing.assert_close(slogdet, log_det[:2], rtol=0, atol=1e-9)


@SETTINGS
@given(data=st.data(), case=layers(), batch=st.integers(1, 4), bad=st.sampled_from((math.nan, math.inf, -math.inf)))
def test_a_non_finite_value_stays_in_its_row_of_a_layer_and_a_flow_refuses_it(data, case, batch, bad):
    """A layer is row-wise: NaN or inf in a row reaches that row's output only. A Flow refuses it."""
    from flowlib import Flow, StandardNormal

    layer, dtype = case
    z = points(data.draw, batch + 1, layer.dim, dtype)
    z[0, data.draw(st.integers(0, layer.dim - 1))] = bad
    x, log_det = layer(z)
    clean_x, clean_log_det = layer(z[1:])
    torch.testing.assert_close(x[1:], clean_x, rtol=0, atol=ATOL[dtype])
    torch.testing.assert_close(log_det[1:], clean_log_det, rtol=0, atol=ATOL[dtype])
    flow = Flow(StandardNormal(layer.dim), [layer]).to(dtype)
    for who, call in (("log_prob", flow.log_prob), ("inverse", flow.inverse), ("forward", flow.forward)):
        with pytest.raises(FlowlibError, match=rf"Flow.{who}: expected finite [xz], but 1 of its {batch + 1} rows hold "
                                               r"NaN or inf \(the first: row 0\)"):
            call(z)


@SETTINGS
@given(case=layers(), wrong=st.sampled_from(("dtype", "width", "rank", "integer")), batch=st.integers(0, 3))
def test_layers_refuse_bad_points_with_a_flowlib_error_naming_what_was_expected(case, wrong, batch):
    layer, dtype = case
    other = torch.float64 if dtype == torch.float32 else torch.float32
    shape, bad_dtype = {"dtype": ((batch, layer.dim), other), "width": ((batch, layer.dim + 1), dtype),
                        "rank": ((batch, 1, layer.dim), dtype), "integer": ((batch, layer.dim), torch.long)}[wrong]
    bad = torch.zeros(shape, dtype=bad_dtype)
    if wrong == "dtype" and not any(True for _ in layer.parameters()):
        x, log_det = layer(bad)  # no parameters (a permutation): any floating dtype is fine, and kept
        assert x.dtype == log_det.dtype == other
        return
    expected = {"dtype": f"of dtype {dtype}", "width": rf"of shape \(B, {layer.dim}\)", "rank": r"\(a 2-D batch\)",
                "integer": "a floating-point z"}[wrong]
    with pytest.raises(FlowlibError, match=rf"{type(layer).__name__}.forward: expected .*{expected}"):
        layer(bad)


@SETTINGS
@given(name=st.sampled_from(tuple(LAYER_CLASSES) + ("MADE",)),
       dim=st.one_of(st.integers(-2, 6), st.floats(-2, 6), st.none(), st.text(max_size=2)),
       hidden=st.one_of(hidden_widths, st.integers(-1, 8), st.lists(st.one_of(st.integers(-1, 4), st.floats(0, 4)), max_size=2)))
def test_constructors_build_or_refuse_with_a_flowlib_error(name, dim, hidden):
    cls = {**LAYER_CLASSES, **WITH_HIDDEN}[name]
    kwargs = {"hidden": hidden} if name in WITH_HIDDEN else {}
    valid_dim = isinstance(dim, int) and dim >= MIN_DIM[name]
    valid_hidden = (name not in WITH_HIDDEN or isinstance(hidden, tuple) or isinstance(hidden, list)) and (
        name not in WITH_HIDDEN or all(isinstance(w, int) and w >= 1 for w in hidden)
        and (len(hidden) >= 1 or name in ("AdditiveCoupling", "AffineCoupling")))
    if valid_dim and valid_hidden:
        layer = cls(dim, **kwargs)
        assert layer.dim == dim
    else:
        with pytest.raises(FlowlibError, match=rf"{name}: (dim|hidden) must"):
            cls(dim, **kwargs)


@SETTINGS
@given(data=st.data(), builder=st.sampled_from(sorted(BUILDERS)), dim=st.integers(2, 5), n_layers=st.integers(1, 3),
       hidden=hidden_widths, batch=st.integers(0, 4), dtype=st.sampled_from(sorted(DTYPES)))
def test_builders_give_finite_densities_that_match_their_samples(data, builder, dim, n_layers, hidden, batch, dtype):
    dtype = DTYPES[dtype]
    torch.manual_seed(data.draw(st.integers(0, 2**16)))
    flow = perturbed(BUILDERS[builder](dim, layers=n_layers, hidden=hidden).to(dtype))
    x, log_q = flow.sample_with_log_prob(batch)
    assert x.shape == (batch, dim) and log_q.shape == (batch,) and x.dtype == log_q.dtype == dtype
    assert bool(torch.isfinite(x).all()) and bool(torch.isfinite(log_q).all())
    torch.testing.assert_close(flow.log_prob(x), log_q, rtol=0, atol=100 * ATOL[dtype])
    if batch and dtype == torch.float64:
        z = flow.inverse(x[:1])[0]
        slogdet = torch.linalg.slogdet(jacobian(flow.forward, z)).logabsdet
        torch.testing.assert_close(slogdet, flow(z)[1], rtol=0, atol=1e-9)
