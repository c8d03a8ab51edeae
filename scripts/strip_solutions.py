r"""Write copies of the notebooks without the exercises' solutions, for an assignment.

    python scripts/strip_solutions.py                    # -> student-notebooks/*.ipynb (git-ignored)
    python scripts/strip_solutions.py --out DIR NB...    # chosen notebooks, another folder

Every cell tagged ``solution`` is left out: the folded solution under an exercise, the folded hints for the
open questions after each summary, and the code cells where a notebook runs an exercise's answer for its own
later cells (in 03, 04 and 07; in a copy, those later cells use the student's checked functions instead).
Everything else is copied as it is, outputs included (an exercise cell's stored output says "Not solved yet").
``tests/notebooks/test_student_notebooks.py`` checks that no cell of a copy gives an answer away, that every
exercise cell says "Not solved yet", and that a copy runs top to bottom once its exercises are solved (the
copies of notebooks with sliders in ``tests/notebooks/test_sliders_kernel.py``, which moves their sliders too).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from notebook_file import as_saved  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def strip(notebook: dict) -> tuple[dict, int]:
    """The notebook without its solution cells, and how many were removed."""
    cells = [c for c in notebook["cells"] if "solution" not in c.get("metadata", {}).get("tags", [])]
    return {**notebook, "cells": cells}, len(notebook["cells"]) - len(cells)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="notebooks to strip (default: notebooks/*.ipynb)")
    parser.add_argument("--out", type=Path, default=ROOT / "student-notebooks", help="output folder")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for path in args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb")):
        notebook, removed = strip(json.loads(path.read_text(encoding="utf-8")))
        target = args.out / path.name
        target.write_text(as_saved(notebook), encoding="utf-8")  # as JupyterLab saves it: opening changes nothing
        print(f"{target}: {removed} solutions removed")


if __name__ == "__main__":
    main()
