r"""Mark every notebook's cells for lecture mode: live slides in JupyterLab with jupyterlab-rise.

    python scripts/mark_slides.py                 # mark notebooks/*.ipynb in place (idempotent)
    python scripts/mark_slides.py --check         # exit 1, naming the cells, if any is marked otherwise

Rules, from the cells alone, so a new cell is marked like its neighbours (``tests/notebooks/test_slides.py``
fails on a notebook whose marks differ from these):

- the Colab install cell (the first cell), empty cells, and the setup code before the first ``##``
  heading (imports, seeds, device): ``skip``;
- the ``#`` title cell and every ``##`` heading cell (a section of the lecture's slides): ``slide``;
- a ``###`` heading, and a markdown cell that follows code (the next step of a section: its own
  screen, so that a slider and its figure fit): ``subslide``;
- a code cell that asserts (a claim of the slides checked live): ``fragment``, revealed on a click;
- everything else: ``-``, on the current slide.

Only each cell's ``metadata.slideshow`` and the notebook's ``metadata.rise`` (``scroll``: a tall
slide scrolls instead of being cut off) are written, in the layout JupyterLab saves (``notebook_file.py``).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from notebook_file import as_saved  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
RISE = {"scroll": True}
_ASSERT = re.compile(r"^\s*assert\b", re.MULTILINE)


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def slide_types(cells: list[dict]) -> list[str]:
    r"""The ``slideshow.slide_type`` of each cell, by the rules of the module docstring."""
    types, seen_section, previous = [], False, None
    for index, cell in enumerate(cells):
        source, kind = _source(cell).strip(), cell.get("cell_type")
        heading = source.split("\n", 1)[0] if kind == "markdown" else ""
        if heading.startswith("## "):
            seen_section = True
        if not source or (index == 0 and kind == "code"):
            kind_of = "skip"
        elif kind == "markdown":
            if heading.startswith(("# ", "## ")):
                kind_of = "slide"
            elif heading.startswith("### ") or previous == "code":
                kind_of = "subslide"
            else:
                kind_of = "-"
        elif kind == "code" and not seen_section:
            kind_of = "skip"
        elif kind == "code" and _ASSERT.search(source):
            kind_of = "fragment"
        else:
            kind_of = "-"
        types.append(kind_of)
        if kind_of != "skip":
            previous = kind
    return types


def mark(notebook: dict) -> dict:
    r"""``notebook`` (nbformat JSON) with every cell's slide type set; changes nothing else."""
    for cell, kind in zip(notebook["cells"], slide_types(notebook["cells"])):
        cell.setdefault("metadata", {})["slideshow"] = {"slide_type": kind}
    notebook.setdefault("metadata", {})["rise"] = dict(RISE)
    return notebook


def mismatches(notebook: dict) -> list[str]:
    r"""``"cell i (id): is X, the rules say Y"`` for each cell marked otherwise, and the rise settings."""
    problems = []
    for i, (cell, kind) in enumerate(zip(notebook["cells"], slide_types(notebook["cells"]))):
        have = cell.get("metadata", {}).get("slideshow", {}).get("slide_type")
        if have != kind:
            problems.append(f"cell {i} ({cell.get('id', '?')}): slide_type is {have!r}, the rules say {kind!r}")
    if notebook.get("metadata", {}).get("rise") != RISE:
        problems.append(f"metadata.rise is {notebook.get('metadata', {}).get('rise')!r}, expected {RISE!r}")
    return problems


def dump(notebook: dict) -> str:
    return as_saved(notebook)  # as JupyterLab saves it: opening the notebook changes nothing


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a cell is marked otherwise")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(NOTEBOOKS.glob("[0-9][0-9]*_*.ipynb"))
    failed = False
    for path in paths:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        if args.check:
            problems = mismatches(notebook)
            failed |= bool(problems)
            for problem in problems:
                print(f"{path.name}: {problem}")
            continue
        text = dump(mark(notebook))
        if text != path.read_text(encoding="utf-8"):
            path.write_text(text, encoding="utf-8")
        types = slide_types(notebook["cells"])
        print(f"{path.name:36s} {types.count('slide'):3d} slides, {types.count('subslide'):3d} subslides, "
              f"{types.count('fragment'):3d} fragments, {types.count('skip'):2d} skipped")
    if failed:
        print("run `python scripts/mark_slides.py` to mark them", file=sys.stderr)
    return int(failed)


if __name__ == "__main__":
    sys.exit(main())
