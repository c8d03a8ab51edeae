"""``Flow``: composition, change of variables, sampling, intermediate steps, devices, save/load, builders."""

from __future__ import annotations

import io
import math

import pytest
import torch
from layer_registry import BUILDERS, perturbed
from torch import nn

from flowlib import (
    IAF,
    MAF,
    AdditiveCoupling,
    AffineCoupling,
    Flow,
    Reverse,
    Scaling,
    StandardNormal,
    count_parameters,
    grid_points,
    jacobian,
    make_iaf,
    make_maf,
    make_nice,
    make_realnvp,
)


def mixed_flow(dim: int = 3) -> Flow:
    """One layer of every kind."""
    layers = [AdditiveCoupling(dim, hidden=(16,)), Scaling(dim), AffineCoupling(dim, hidden=(16,), parity=1),
              Reverse(dim), MAF(dim, hidden=(16,)), IAF(dim, hidden=(16,))]
    return perturbed(Flow(StandardNormal(dim), layers)).double()


def test_composition_sums_the_layers_log_dets():
    flow = mixed_flow()
    z = torch.randn(6, 3, dtype=torch.float64)
    x, total = flow(z)
    v, by_hand = z, torch.zeros(6, dtype=torch.float64)
    for layer in flow.layers:
        v, log_det = layer(v)
        by_hand = by_hand + log_det
    assert torch.equal(x, v)
    assert torch.allclose(total, by_hand, atol=1e-12)
    assert total.abs().min() > 1e-3  # the layers really do change volume
    back, inv_total = flow.inverse(x)
    assert torch.allclose(back, z, atol=1e-9)
    assert torch.allclose(inv_total, -total, atol=1e-9)


def test_composition_log_det_matches_the_autograd_jacobian():
    flow = mixed_flow()
    z = torch.randn(4, 3, dtype=torch.float64)
    assert torch.allclose(torch.linalg.slogdet(jacobian(flow.forward, z)).logabsdet, flow(z)[1], atol=1e-9)


def test_log_prob_is_the_change_of_variables_formula():
    flow = mixed_flow()
    x = torch.randn(5, 3, dtype=torch.float64)
    z = flow.inverse(x)[0]
    by_hand = (-0.5 * z.pow(2).sum(-1) - 1.5 * math.log(2 * math.pi)
               + torch.linalg.slogdet(jacobian(flow.inverse, x)).logabsdet)
    assert torch.allclose(flow.log_prob(x), by_hand, atol=1e-9)


def test_log_prob_of_a_scaling_flow_is_a_gaussian():
    """x = z ⊙ e^s with z ~ N(0, I) is N(0, diag(e^{2s})): a closed form to compare with."""
    layer = Scaling(2)
    with torch.no_grad():
        layer.s.copy_(torch.tensor([math.log(0.5), math.log(3.0)]))
    x = torch.randn(7, 2)
    expected = torch.distributions.Normal(torch.zeros(2), torch.tensor([0.5, 3.0])).log_prob(x).sum(-1)
    assert torch.allclose(Flow(StandardNormal(2), [layer]).log_prob(x), expected, atol=1e-5)


def test_a_flow_density_integrates_to_its_probability_mass():
    """∫_B p_X over a box B (a Riemann sum) equals the fraction of samples that land in B."""
    torch.manual_seed(0)
    flow = perturbed(make_realnvp(2, layers=4, hidden=(16,)), scale=0.2).double()
    points, xs, ys = grid_points((-12, 12, -12, 12), n=300, dtype=torch.float64)
    with torch.no_grad():
        mass = float(flow.log_prob(points).exp().sum() * (xs[1] - xs[0]) * (ys[1] - ys[0]))
        inside = float((flow.sample(50_000).abs() < 12).all(-1).double().mean())
    assert abs(mass - inside) < 3e-3  # Monte Carlo std ~7e-4
    assert 0.9 < mass < 0.99  # heavy tails leave the box: the comparison is not just 1 = 1


@pytest.mark.parametrize("name", BUILDERS)
def test_sample_with_log_prob_equals_log_prob_of_the_sample(name):
    torch.manual_seed(0)
    flow = perturbed(BUILDERS[name](3, layers=3, hidden=(16,)))
    x, log_q = flow.sample_with_log_prob(200)
    assert x.shape == (200, 3) and log_q.shape == (200,)
    assert torch.allclose(log_q, flow.log_prob(x), atol=1e-3)
    assert log_q.std() > 0.1  # not the identity flow's trivial case


def test_forward_and_inverse_steps():
    flow = mixed_flow()
    z = torch.randn(5, 3, dtype=torch.float64)
    steps = flow.forward_steps(z)
    assert len(steps) == len(flow.layers) + 1
    assert steps[0] is z
    assert torch.equal(steps[-1], flow(z)[0])
    assert torch.equal(steps[2], flow.layers[1](flow.layers[0](z)[0])[0])
    back = flow.inverse_steps(steps[-1])
    assert len(back) == len(flow.layers) + 1
    assert torch.equal(back[-1], flow.inverse(steps[-1])[0])
    for a, b in zip(back, reversed(steps)):  # each inverse step undoes one forward step
        assert torch.allclose(a, b, atol=1e-9)


def test_temperature():
    torch.manual_seed(0)
    flow = perturbed(make_maf(2, layers=2, hidden=(16,)))
    at_zero = flow.sample(5, temperature=0.0)
    assert torch.allclose(at_zero, flow(torch.zeros(1, 2))[0].expand(5, 2))  # T = 0: the image of the mode of p_Z
    torch.manual_seed(1)
    plain = flow.sample(5)
    torch.manual_seed(1)
    assert torch.equal(flow.sample(5, temperature=1.0), plain)
    identity = Flow(StandardNormal(2), [Scaling(2)])
    torch.manual_seed(2)
    with torch.no_grad():
        assert abs(float(identity.sample(20000, temperature=0.5).std()) - 0.5) < 0.01
    torch.manual_seed(3)
    x, log_q = flow.sample_with_log_prob(100, temperature=0.7)
    assert torch.allclose(log_q, flow.log_prob(x), atol=1e-4)  # the density is p_X's, whatever T drew x


def test_double_and_to_move_the_base_and_every_buffer():
    flow = make_realnvp(3, layers=2).double()
    assert all(p.dtype == torch.float64 for p in flow.parameters())
    assert all(b.dtype == torch.float64 for b in flow.buffers() if b.is_floating_point())
    assert flow.sample(4).dtype == torch.float64
    assert flow.log_prob(torch.randn(4, 3, dtype=torch.float64)).dtype == torch.float64
    flow = make_maf(3, layers=2).to("meta")
    assert {t.device.type for t in [*flow.parameters(), *flow.buffers()]} == {"meta"}
    assert flow.base.sample(2).device.type == "meta"
    assert flow.layers[1].perm.dtype == torch.long  # .double() and .to() leave index buffers alone


def test_state_dict_round_trip_of_a_whole_maf():
    torch.manual_seed(0)
    flow = perturbed(make_maf(5, layers=3, hidden=(32, 32)))
    buffer = io.BytesIO()
    torch.save(flow.state_dict(), buffer)
    buffer.seek(0)
    torch.manual_seed(1)
    other = make_maf(5, layers=3, hidden=(32, 32))
    x = torch.randn(10, 5)
    assert not torch.allclose(other.log_prob(x), flow.log_prob(x))
    other.load_state_dict(torch.load(buffer, weights_only=True))
    assert torch.equal(other.log_prob(x), flow.log_prob(x))
    torch.manual_seed(2)
    a = flow.sample(4)
    torch.manual_seed(2)
    assert torch.equal(other.sample(4), a)
    assert any(key.endswith(".mask") for key in flow.state_dict())  # MADE's masks are saved with it
    assert any(key.endswith(".perm") for key in flow.state_dict())  # and so are the permutations


@pytest.mark.parametrize("dim", (2, 3, 5))
@pytest.mark.parametrize("name", BUILDERS)
def test_builders_work_for_odd_and_even_dims(name, dim):
    torch.manual_seed(0)
    flow = perturbed(BUILDERS[name](dim, layers=3, hidden=(16,)))
    z = torch.randn(6, dim)
    x, log_det = flow(z)
    assert x.shape == (6, dim) and log_det.shape == (6,)
    assert torch.allclose(flow.inverse(x)[0], z, atol=1e-4)
    assert torch.isfinite(flow.log_prob(x)).all()
    assert flow.sample(3).shape == (3, dim)
    # Every coordinate is changed by some layer: no coordinate of x equals the one of z.
    assert ((x - z).abs() > 1e-6).all(0).all()


def test_builder_structure():
    assert [type(layer).__name__ for layer in make_maf(3, layers=3).layers] == ["MAF", "Reverse", "MAF", "Reverse", "MAF"]
    assert [type(layer).__name__ for layer in make_iaf(3, layers=2).layers] == ["IAF", "Reverse", "IAF"]
    assert [layer.mask.tolist() for layer in make_realnvp(3, layers=2).layers] == [[1, 0, 0], [0, 1, 1]]
    nice = [type(layer).__name__ for layer in make_nice(3, layers=2).layers]
    assert nice == ["Scaling", "AdditiveCoupling", "AdditiveCoupling"]  # the paper's scaling sits next to the latent


def test_new_flows_are_the_identity():
    x = torch.randn(5, 3)
    for builder in BUILDERS.values():
        assert torch.allclose(builder(3).log_prob(x), StandardNormal(3).log_prob(x))


def test_count_parameters():
    assert count_parameters(Scaling(5)) == 5
    assert count_parameters(nn.Sequential(nn.Linear(3, 4), Scaling(5))) == 3 * 4 + 4 + 5
    assert count_parameters(Reverse(4)) == 0
    frozen = Scaling(3)
    frozen.s.requires_grad_(False)
    assert count_parameters(frozen) == 0


def test_flow_rejects_layers_of_another_dimension():
    with pytest.raises(ValueError, match=r"layer 1 \(AffineCoupling\) has dim 4, the base has dim 3"):
        Flow(StandardNormal(3), [Scaling(3), AffineCoupling(4)])
