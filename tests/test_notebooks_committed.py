"""Every committed notebook was executed top to bottom and stored with its outputs.

Strict nbval compares stored outputs with fresh ones, so it only means something when the stored
outputs come from one full run (``scripts/run_notebooks.py``). With no notebooks yet, there are no
cases (pytest reports the empty parameter set as skipped).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def colab_cell_source() -> str:
    spec = importlib.util.spec_from_file_location("colab_cell", ROOT / "scripts" / "colab_cell.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.colab_cell_source()


def source(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


@pytest.fixture(params=NOTEBOOKS, ids=lambda path: path.name)
def notebook(request):
    return json.loads(request.param.read_text(encoding="utf-8"))


def test_named_nn_topic_with_a_python3_kernel(notebook, request):
    path = request.node.callspec.params["notebook"]
    stem = path.stem
    assert stem[:2].isdigit() and stem[2] == "_" and stem[3:].replace("_", "").isalnum() and stem == stem.lower(), stem
    assert notebook["nbformat"] == 4
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"


def test_executed_top_to_bottom(notebook):
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    counts = [cell.get("execution_count") for cell in code]
    assert counts == list(range(1, len(code) + 1)), f"execution counts {counts}: re-run with scripts/run_notebooks.py"


def test_no_error_outputs(notebook):
    errors = [(i, out.get("ename"), out.get("evalue")) for i, cell in enumerate(notebook["cells"])
              for out in cell.get("outputs", []) if out.get("output_type") == "error"]
    assert errors == []


def test_no_stored_widget_state(notebook):
    assert "widgets" not in notebook["metadata"]


def test_outputs_were_stored(notebook):
    """A notebook committed without outputs passes strict nbval comparing nothing."""
    assert any(cell.get("outputs") for cell in notebook["cells"][1:] if cell["cell_type"] == "code")


def test_first_cell_is_the_colab_install_cell(notebook):
    first = notebook["cells"][0]
    assert first["cell_type"] == "code"
    assert source(first) == colab_cell_source()
    assert first.get("outputs") == []  # it prints nothing outside Colab
