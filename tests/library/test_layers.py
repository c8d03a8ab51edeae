"""Every flow layer against autograd (``check_layer``), and ``check_layer`` against broken layers.

Also: MADE's autoregressive property, MAF/IAF's count of MADE passes per direction, layers that
start at the identity, and layers that run on any device and dtype.
"""

from __future__ import annotations

import pytest
import torch
from layer_registry import IDENTITY_AT_START, LAYERS, cyclic_shift, perturbed
from torch import nn

from flowlib import (
    IAF,
    MADE,
    MAF,
    AffineCoupling,
    Flow,
    Permutation,
    Reverse,
    StandardNormal,
    check_layer,
    jacobian,
    made_masks,
    make_maf,
)

DIMS = (2, 3, 7)


@pytest.mark.parametrize("dim", DIMS)
@pytest.mark.parametrize("name", LAYERS)
def test_check_layer_passes(name, dim):
    torch.manual_seed(0)
    layer = LAYERS[name](dim)
    before = {k: v.clone() for k, v in layer.state_dict().items()}
    report = check_layer(layer)
    for key in ("round trip z -> x -> z", "round trip x -> z -> x", "forward log_det = slogdet(∂x/∂z)",
                "inverse log_det = slogdet(∂z/∂x)", "inverse log_det = -forward log_det", "∂z/∂x · ∂x/∂z = I",
                "Jacobian zero outside the claimed structure", "state_dict save/load keeps log_prob"):
        assert report[key] <= 1e-7, (key, report[key])
    # check_layer works on a perturbed float64 copy: the layer itself is untouched.
    after = layer.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert all(v.dtype != torch.float64 for v in after.values())


# ---------------------------------------------------------------- broken layers check_layer must catch


class ElementwiseAffine(nn.Module):
    """x = z ⊙ exp(s) + b, a correct reference layer the broken ones below derive from."""

    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim
        self.s = nn.Parameter(torch.zeros(dim))
        self.b = nn.Parameter(torch.zeros(dim))

    def forward(self, z):
        return z * self.s.exp() + self.b, self.s.sum().expand(z.shape[0])

    def inverse(self, x):
        return (x - self.b) * (-self.s).exp(), (-self.s.sum()).expand(x.shape[0])

    def jacobian_sparsity(self):
        return torch.eye(self.dim, dtype=torch.bool)


class FlippedSign(ElementwiseAffine):
    """The commonest bug: log_det with the wrong sign, in both directions (so they still cancel)."""

    def forward(self, z):
        x, log_det = super().forward(z)
        return x, -log_det

    def inverse(self, x):
        z, log_det = super().inverse(x)
        return z, -log_det


class ClaimsDiagonal(AffineCoupling):
    """A correct coupling that claims a diagonal Jacobian it does not have."""

    def jacobian_sparsity(self):
        return torch.eye(self.dim, dtype=torch.bool, device=self.mask.device)


class Folding(ElementwiseAffine):
    """x = |z| ⊙ exp(s) + b: z and -z land on the same x, so no inverse exists."""

    def forward(self, z):
        return z.abs() * self.s.exp() + self.b, self.s.sum().expand(z.shape[0])


class ScalarLogDet(ElementwiseAffine):
    """Returns a scalar log_det that only works by broadcasting."""

    def forward(self, z):
        return super().forward(z)[0], self.s.sum()


class UnusedParameter(ElementwiseAffine):
    def __init__(self, dim):
        super().__init__(dim)
        self.forgotten = nn.Parameter(torch.zeros(dim))


class PlainAttributeShift(ElementwiseAffine):
    """Keeps a tensor as a plain attribute: not moved by .to(), not saved (nflib's permutation bug)."""

    def __init__(self, dim):
        super().__init__(dim)
        self.shift = torch.ones(dim)


class UnsavedBuffer(ElementwiseAffine):
    """A shift in a non-persistent buffer: state_dict does not save it, so loading cannot restore it."""

    def __init__(self, dim):
        super().__init__(dim)
        self.register_buffer("shift", torch.ones(dim), persistent=False)

    def forward(self, z):
        x, log_det = super().forward(z)
        return x + self.shift, log_det

    def inverse(self, x):
        return super().inverse(x - self.shift)


class NaNOutput(ElementwiseAffine):
    def forward(self, z):
        x, log_det = super().forward(z)
        return x * torch.nan, log_det


def test_the_reference_of_the_broken_layers_passes():
    assert check_layer(ElementwiseAffine(3))["forward log_det = slogdet(∂x/∂z)"] < 1e-12


@pytest.mark.parametrize(("layer", "message"), [
    (FlippedSign(3), r"forward log_det = slogdet\(∂x/∂z\) failed"),
    (ClaimsDiagonal(3), r"Jacobian zero outside the claimed structure failed"),
    (Folding(3), r"round trip z -> x -> z failed"),
    (ScalarLogDet(3), r"forward log_det has shape \(\), expected \(5,\)"),
    (UnusedParameter(3), r"no gradient reaches forgotten"),
    (PlainAttributeShift(3), r"plain attributes \['shift'\]"),
    (UnsavedBuffer(3), r"state_dict save/load keeps log_prob failed"),
    (NaNOutput(3), r"non-finite output"),
], ids=lambda v: type(v).__name__ if isinstance(v, nn.Module) else "")
def test_check_layer_catches_broken_layers(layer, message):
    with pytest.raises(AssertionError, match=message):
        check_layer(layer)


def test_check_layer_catches_a_flipped_sign_in_a_real_layer():
    class FlippedAffineCoupling(AffineCoupling):
        def forward(self, z):
            x, log_det = super().forward(z)
            return x, -log_det

        def inverse(self, x):
            z, log_det = super().inverse(x)
            return z, -log_det

    with pytest.raises(AssertionError, match=r"FlippedAffineCoupling: forward log_det = slogdet"):
        check_layer(FlippedAffineCoupling(3))


# ---------------------------------------------------------------- MADE, MAF, IAF


@pytest.mark.parametrize("dim", DIMS)
def test_made_is_autoregressive(dim):
    made = perturbed(MADE(dim, hidden=(16, 16))).double()
    x = torch.randn(6, dim, dtype=torch.float64)
    for head in (0, 1):  # μ and α
        j = jacobian(lambda v, head=head: (made(v)[head],), x)  # (B, D, D): ∂head_i/∂x_j
        above_or_on_diagonal = ~torch.ones(dim, dim, dtype=torch.bool).tril(-1)
        assert j[:, above_or_on_diagonal].abs().max() == 0, "μ_i or α_i depends on x_j with j >= i"
        # ... and every allowed dependence is used somewhere in the batch (the masks do not over-cut).
        assert (j.abs().sum(0)[~above_or_on_diagonal] > 0).all()


@pytest.mark.parametrize("dim", DIMS)
def test_made_masks_connect_only_earlier_inputs(dim):
    masks = made_masks(dim, hidden=(8, 8))
    paths = masks[0]
    for mask in masks[1:]:
        paths = mask @ paths  # paths[o, i] = number of paths from input i to output o
    for head in paths.chunk(2):  # the μ rows, then the α rows
        assert torch.equal(head > 0, torch.ones(dim, dim, dtype=torch.bool).tril(-1))


def made_calls(layer, method, dim):
    calls = []
    handle = layer.made.register_forward_hook(lambda *args: calls.append(1))
    try:
        getattr(layer, method)(torch.randn(4, dim))
    finally:
        handle.remove()
    return len(calls)


@pytest.mark.parametrize("dim", DIMS)
def test_maf_density_is_one_made_pass_and_sampling_is_dim_passes(dim):
    maf = MAF(dim)
    assert made_calls(maf, "inverse", dim) == 1
    assert made_calls(maf, "forward", dim) == dim


@pytest.mark.parametrize("dim", DIMS)
def test_iaf_sampling_is_one_made_pass_and_density_is_dim_passes(dim):
    iaf = IAF(dim)
    assert made_calls(iaf, "forward", dim) == 1
    assert made_calls(iaf, "inverse", dim) == dim


# ---------------------------------------------------------------- identity at start


@pytest.mark.parametrize("dim", DIMS)
@pytest.mark.parametrize("name", IDENTITY_AT_START)
def test_new_layers_are_the_identity(name, dim):
    layer = LAYERS[name](dim)
    z = torch.randn(8, dim)
    x, ld_fwd = layer(z)
    back, ld_inv = layer.inverse(z)
    assert torch.equal(x, z) and torch.equal(back, z)
    assert torch.equal(ld_fwd, torch.zeros(8)) and torch.equal(ld_inv, torch.zeros(8))


@pytest.mark.parametrize("dim", DIMS)
def test_permutations_only_reorder(dim):
    z = torch.randn(4, dim)
    for layer in (Permutation(dim, perm=cyclic_shift(dim)), Reverse(dim)):
        x, log_det = layer(z)
        assert torch.equal(x.sort(-1).values, z.sort(-1).values)
        assert torch.equal(layer.inverse(x)[0], z) and torch.equal(log_det, torch.zeros(4))
    assert torch.equal(Reverse(dim)(z)[0], z.flip(-1))


# ---------------------------------------------------------------- devices and dtypes


@pytest.mark.parametrize("name", LAYERS)
def test_layers_follow_their_inputs_device_and_dtype(name):
    """On the "meta" device (shapes only, no data), any tensor made on a hard-coded device (CPU)
    meets a meta tensor and torch raises: this finds device bugs without a GPU."""
    layer = LAYERS[name](3).to("meta")
    z = torch.empty(4, 3, device="meta")
    for out in (*layer(z), *layer.inverse(z), layer.jacobian_sparsity()):
        assert out.device.type == "meta"
    layer = LAYERS[name](3).double()
    for out in (*layer(torch.randn(4, 3, dtype=torch.float64)), *layer.inverse(torch.randn(4, 3, dtype=torch.float64))):
        assert out.dtype == torch.float64


def test_flows_follow_their_device():
    flow = make_maf(3, layers=2, hidden=(8,)).to("meta")
    x, log_q = flow.sample_with_log_prob(4)
    assert x.device.type == log_q.device.type == flow.log_prob(x).device.type == "meta"
    assert all(step.device.type == "meta" for step in flow.forward_steps(torch.empty(4, 3, device="meta")))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (the meta-device tests cover devices on CPU)")
@pytest.mark.parametrize("name", LAYERS)
def test_layers_on_cuda(name):
    torch.manual_seed(0)
    layer = LAYERS[name](3).cuda()
    check_layer(layer)
    flow = Flow(StandardNormal(3), [layer]).cuda()
    x, log_q = flow.sample_with_log_prob(16)
    assert x.is_cuda and log_q.is_cuda
    assert torch.allclose(flow.log_prob(x), log_q, atol=1e-4)


@pytest.mark.parametrize("dim", DIMS)
def test_made_output_i_is_output_i_of_the_parallel_pass(dim):
    """The sequential direction's pass (``output_i``) gives the parallel pass's μ_i, α_i, from x_{<i} alone."""
    made = perturbed(MADE(dim, hidden=(16, 16))).double()
    x = torch.randn(5, dim, dtype=torch.float64)
    mu, alpha = made(x)
    for i in range(dim):
        for given in (x[:, :i], x):  # just the i columns it needs, or all of them (the rest unread)
            mu_i, alpha_i = made.output_i(given, i)
            torch.testing.assert_close(mu_i, mu[:, i], rtol=0, atol=1e-12)
            torch.testing.assert_close(alpha_i, alpha[:, i], rtol=0, atol=1e-12)
