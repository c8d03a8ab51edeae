r"""Notebook 04b's maths that the notebook uses but does not show.

- ``layer_tree(flow)``: the layers of a flow as indented lines, in the generative order, with the layers *inside*
  each ``FactorOut`` shown under it (``print(flow)`` would bury them among the convolutions of every network).
- ``quality_table(rows)``: the lines of a table of sample-quality results, each number with its standard error.
"""

from __future__ import annotations

from ...multiscale import FactorOut

__all__ = ["layer_tree", "quality_table"]


def layer_tree(flow, indent: str = "") -> list[str]:
    """One line per layer of ``flow`` (a ``Flow`` or a ``FactorOut``), generative order (``layers[0]`` next to z);
    a ``FactorOut``'s own layers follow it, indented."""
    lines = []
    for k, layer in enumerate(flow.layers):
        params = sum(p.numel() for p in layer.parameters())
        lines.append(f"{indent}{k}: {type(layer).__name__:18s} {layer.extra_repr():48s} {params:8d} parameters")
        if isinstance(layer, FactorOut):
            lines += layer_tree(layer, indent + "    ")
    return lines


def quality_table(rows: dict) -> list[str]:
    """``rows``: name -> a ``sample_quality`` dict (plus optional "bits/dim" and "bits/dim se"); the table's lines."""
    lines = [f"{'':34s} {'held-out bits/dim':>18s} {'confidently classified':>23s} {'score':>12s}"]
    for name, r in rows.items():
        bpd = f"{r['bits/dim']:.3f} ± {r['bits/dim se']:.3f}" if "bits/dim" in r else "-"
        lines.append(f"{name:34s} {bpd:>18s} {100 * r['confident']:16.1f} ± {100 * r['confident se']:.1f} % "
                     f"{r['score']:6.2f} ± {r['score se']:.2f}")
    return lines
