"""Notebook 04b's hidden maths: the layer tree of a multi-scale flow (FactorOut's inner layers shown, indented)
and the sample-quality table."""

from __future__ import annotations

from flowlib import make_multiscale_realnvp
from flowlib.lessons.n04b_realnvp_on_images import layer_tree, quality_table


def test_layer_tree_shows_the_layers_inside_factor_out():
    flow = make_multiscale_realnvp((1, 8, 8), scales=3, couplings=1, hidden=(4,), blocks=1, actnorm=True)
    lines = layer_tree(flow)
    assert lines[0].startswith("0: FactorOut")
    assert lines[1].startswith("    0: FactorOut")                       # the second scale's, inside the first
    assert lines[2].startswith("        0: ConvAffineCoupling")          # the last scale, two levels down
    assert sum("ConvAffineCoupling" in line for line in lines) == 2 + 2 + 2  # every coupling of the three scales
    assert all(line.rstrip().endswith("parameters") for line in lines)


def test_quality_table_prints_every_number_with_its_standard_error():
    rows = {"real": {"confident": 0.9, "confident se": 0.01, "score": 9.0, "score se": 0.1},
            "model": {"confident": 0.5, "confident se": 0.02, "score": 5.0, "score se": 0.2, "bits/dim": 1.4,
                      "bits/dim se": 0.01}}
    lines = quality_table(rows)
    assert len(lines) == 3
    assert "90.0 ± 1.0 %" in lines[1] and "9.00 ± 0.10" in lines[1] and lines[1].split()[1] == "-"
    assert "1.400 ± 0.010" in lines[2] and "50.0 ± 2.0 %" in lines[2]
