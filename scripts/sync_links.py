"""Regenerate every address-dependent string from pyproject.toml's ``[project.urls] Repository``.

    python scripts/sync_links.py            # rewrite README.md's badges and run times, and every notebook's first cell
    python scripts/sync_links.py --check    # change nothing; list what disagrees and exit 1 if anything does

What it writes:

- README.md, between ``<!-- BEGIN binder -->`` and ``<!-- END binder -->``: the Binder badge that
  opens the whole ``notebooks/`` folder; between ``<!-- BEGIN clone -->`` and ``<!-- END clone -->``:
  the ``git clone`` command.
- README.md, the course map between ``<!-- BEGIN course map -->`` and ``<!-- END course map -->``:
  the last two columns ("Open" and "Run time") of the first row that links each notebook. The other
  columns are prose, written by hand; a row's notebook is the first ``notebooks/NN_x.ipynb`` link in it.
  Run times come from ``docs/run_times.txt``: the output of ``benchmarks/notebook_times.py`` (a
  table) or of ``scripts/run_notebooks.py`` (``NN_x.ipynb   12.3 s`` per line); ``#`` starts a comment.
- notebooks/*.ipynb: the first cell, exactly ``colab_cell.colab_cell_source()``. A notebook whose
  first cell is not a Colab cell gets one inserted, and must then be re-run (execution counts).

The check also fails when the course map names a section (``§ heading``) that is not a heading of
its notebook, or misses a notebook. ``tests/repository/test_links.py`` runs it, so a stale badge, cell or
section fails the test suite.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from colab_cell import BRANCH, ROOT, colab_cell_source, repository_slug  # noqa: E402
from notebook_file import write as write_notebook  # noqa: E402

README = ROOT / "README.md"
NOTEBOOKS = ROOT / "notebooks"
RUN_TIMES = ROOT / "docs" / "run_times.txt"

BINDER_BADGE = "https://mybinder.org/badge_logo.svg"
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
NOT_MEASURED = "not yet measured"
_NOTEBOOK_LINK = re.compile(r"\]\((notebooks/(\d\d[a-z]?_\w+\.ipynb))\)")
_LAUNCH = re.compile(r"https://(?:mybinder\.org/v2/gh|colab\.research\.google\.com/github)/[^\s)\"'>]+")
_GITHUB_LINK = re.compile(r"https://github\.com/([\w.-]+)/([\w.-]+)[^\s)\"'>]*")


def notebook_paths() -> list[Path]:
    """The course notebooks, ``notebooks/NN_topic.ipynb``, in order."""
    return sorted(NOTEBOOKS.glob("[0-9][0-9]*_*.ipynb"))


def binder_url(notebook: str | None = None) -> str:
    """Binder, JupyterLab opened at ``notebooks/<notebook>`` (or at the folder when ``notebook`` is None)."""
    target = f"notebooks/{notebook}" if notebook else "notebooks"
    return f"https://mybinder.org/v2/gh/{repository_slug()}/{BRANCH}?urlpath=lab/tree/{target}"


def colab_url(notebook: str) -> str:
    """Colab, opening ``notebooks/<notebook>`` straight from GitHub."""
    return f"https://colab.research.google.com/github/{repository_slug()}/blob/{BRANCH}/notebooks/{notebook}"


def badges(notebook: str) -> str:
    """The Binder and Colab badges of one notebook, as Markdown."""
    return f"[![Binder]({BINDER_BADGE})]({binder_url(notebook)}) [![Open in Colab]({COLAB_BADGE})]({colab_url(notebook)})"


def expected_urls() -> set[str]:
    """Every Binder or Colab URL the README may contain: the folder, and each notebook's."""
    names = [p.name for p in notebook_paths()]
    urls = {binder_url()}
    urls |= {binder_url(n) for n in names} | {colab_url(n) for n in names}
    return urls


def read_run_times(path: Path = RUN_TIMES) -> dict[str, str]:
    """``{notebook file name: "12 s"}`` from the output of ``scripts/run_notebooks.py`` (``NN_x.ipynb  12.3 s``)
    or of ``benchmarks/notebook_times.py`` (a table, ``| NN_x.ipynb | 12.3 | yes |``); empty when the file is absent."""
    times = {}
    if not path.exists():
        return times
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if line.startswith("|"):  # a table row: only rows naming a notebook count (not the header or the total)
            cells = _split_row(line)
            if not cells[0].endswith(".ipynb"):
                continue
            line = f"{cells[0]} {cells[1] if len(cells) > 1 else ''} s"
        if not line:
            continue
        match = re.fullmatch(r"(\S+\.ipynb)\s+(\d+(?:\.\d+)?)\s*s", line)
        if match is None:
            raise ValueError(f"{path.name} line {number}: expected '<notebook>.ipynb <seconds> s', got {line!r}")
        times[match[1]] = f"{float(match[2]):.0f} s"
    return times


def _block(text: str, name: str) -> tuple[int, int]:
    begin, end = f"<!-- BEGIN {name} -->", f"<!-- END {name} -->"
    start, stop = text.find(begin), text.find(end)
    if start < 0 or stop < start:
        raise ValueError(f"README.md: expected a block between '{begin}' and '{end}'")
    return start + len(begin), stop


def _split_row(line: str) -> list[str]:
    r"""The cells of a Markdown table row; an escaped ``\|`` (math such as ``$\|\det J\|$``) stays in its cell."""
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip().removeprefix("|").removesuffix("|"))]


def _headings(nb) -> set[str]:
    """The text of every Markdown heading of a notebook."""
    return {line.lstrip("#").strip() for cell in nb.cells if cell.cell_type == "markdown"
            for line in cell.source.splitlines() if line.startswith("#")}


def course_map_sections(text: str) -> list[tuple[str, str]]:
    """``(notebook, heading)`` for every "§ heading" in the course map (``<br>`` separates several in a cell)."""
    start, stop = _block(text, "course map")
    found = []
    for line in text[start:stop].strip("\n").splitlines()[2:]:
        link = _NOTEBOOK_LINK.search(line)
        notebook = link[2] if link else ""
        cell = next((c for c in _split_row(line) if "§" in c), "")
        for part in cell.split("<br>"):  # "[02](notebooks/02_x.ipynb) § heading": a part may name its own notebook
            own = _NOTEBOOK_LINK.search(part)
            notebook = own[2] if own else notebook
            for section in re.findall(r"§\s*(.+?)\s*$", part):
                found.append((notebook, section.replace(r"\|", "|")))
    return found


def render_course_map(table: str, run_times: dict[str, str]) -> str:
    """The course map with its "Open" and "Run time" columns filled: on the first row of each notebook."""
    lines = table.strip("\n").splitlines()
    header = _split_row(lines[0])
    if header[-2:] != ["Open", "Run time"]:
        raise ValueError(f"README.md course map: expected the last two columns 'Open' and 'Run time', got {header[-2:]}")
    seen = set()
    out = lines[:2]
    for line in lines[2:]:
        cells = _split_row(line)
        if len(cells) != len(header):
            raise ValueError(f"README.md course map: expected {len(header)} columns in row {line!r}")
        link = _NOTEBOOK_LINK.search(line)
        cells[-2:] = ["", ""]
        if link and link[2] not in seen:
            seen.add(link[2])
            cells[-2:] = [badges(link[2]), run_times.get(link[2], NOT_MEASURED)]
        out.append("| " + " | ".join(cells) + " |")
    return "\n" + "\n".join(out) + "\n"


def render_readme(text: str, run_times: dict[str, str] | None = None) -> str:
    """README.md with its generated parts regenerated."""
    run_times = read_run_times() if run_times is None else run_times
    start, stop = _block(text, "binder")
    text = text[:start] + f"\n[![Binder]({BINDER_BADGE})]({binder_url()})\n" + text[stop:]
    start, stop = _block(text, "clone")
    clone = f"git clone https://github.com/{repository_slug()}\ncd {repository_slug().split('/')[1]}"
    text = text[:start] + f"\n```bash\n{clone}\n```\n" + text[stop:]
    start, stop = _block(text, "course map")
    return text[:start] + render_course_map(text[start:stop], run_times) + text[stop:]


def readme_problems(text: str, run_times: dict[str, str] | None = None) -> list[str]:
    """Why ``text`` (README.md) disagrees with the repository address, the notebooks or the run times."""
    problems = []
    try:
        if render_readme(text, run_times) != text:
            problems.append("README.md: badges or run times are out of date; run `python scripts/sync_links.py`")
    except ValueError as error:
        problems.append(str(error))
    linked = {m[2] for m in _NOTEBOOK_LINK.finditer(text)}
    # a linked notebook that does not exist is reported below, not as a bad URL
    expected = expected_urls() | {u for n in linked for u in (binder_url(n), colab_url(n))}
    for url in sorted(set(_LAUNCH.findall(text))):
        if url not in expected:
            problems.append(f"README.md: {url} does not launch one of this repository's notebooks at {BRANCH}")
    org, repo = repository_slug().split("/")
    home = f"https://github.com/{org}/{repo}"
    for match in _GITHUB_LINK.finditer(text):  # links to other projects are fine; to this one (or a stale copy) must match
        if (match[1] == org or match[2] == repo) and not (match[0] == home or match[0].startswith(home + "/")):
            problems.append(f"README.md: {match[0]} is not under this repository's address {home}")
    for path in notebook_paths():
        if path.name not in linked:
            problems.append(f"README.md: the course map does not link notebooks/{path.name}")
    for name in sorted(linked):
        if not (NOTEBOOKS / name).exists():
            problems.append(f"README.md: links notebooks/{name}, which does not exist")
    try:
        sections = course_map_sections(text)
    except ValueError:
        sections = []  # already reported by render_readme above
    headings: dict[str, set[str]] = {}
    for name, section in sections:
        if name not in headings:
            path = NOTEBOOKS / name
            headings[name] = _headings(nbformat.read(path, as_version=4)) if name and path.exists() else set()
        if section not in headings[name]:
            problems.append(f"README.md course map: '{section}' is not a heading of notebooks/{name or '?'}")
    return problems


def _is_colab_cell(cell) -> bool:
    return cell.cell_type == "code" and "google.colab" in cell.source


def notebook_problems(nb, name: str) -> list[str]:
    """Why the notebook ``nb`` has no up-to-date Colab cell first."""
    if not nb.cells or not _is_colab_cell(nb.cells[0]):
        return [f"{name}: the first cell is not the Colab install cell"]
    if nb.cells[0].source != colab_cell_source():
        return [f"{name}: the first cell differs from scripts/colab_cell.py; run `python scripts/sync_links.py`"]
    return []


def sync_notebook(path: Path) -> str | None:
    """Write the Colab cell into ``path``; returns what was done, or None when it was up to date."""
    nb = nbformat.read(path, as_version=4)
    if not notebook_problems(nb, path.name):
        return None
    if nb.cells and _is_colab_cell(nb.cells[0]):
        nb.cells[0].source = colab_cell_source()
        done = "updated the Colab cell"
    else:
        nb.cells.insert(0, nbformat.v4.new_code_cell(colab_cell_source()))
        done = "inserted a Colab cell: re-run the notebook (scripts/run_notebooks.py)"
    write_notebook(nb, path)  # as JupyterLab saves it (notebook_file.py)
    return done


def problems() -> list[str]:
    """Everything that disagrees with the address in pyproject.toml; empty when all is in sync."""
    found = readme_problems(README.read_text(encoding="utf-8"))
    for path in notebook_paths():
        found += notebook_problems(nbformat.read(path, as_version=4), path.name)
    return found


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if anything disagrees")
    args = parser.parse_args(argv)
    if not args.check:
        text = README.read_text(encoding="utf-8")
        new = render_readme(text)
        if new != text:
            README.write_text(new, encoding="utf-8")
            print("README.md: badges and run times regenerated")
        for path in notebook_paths():
            done = sync_notebook(path)
            if done:
                print(f"{path.name}: {done}")
    found = problems()
    for problem in found:
        print(problem, file=sys.stderr)
    if not found:
        print(f"in sync with {repository_slug()} ({BRANCH}): README.md and {len(notebook_paths())} notebooks")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
