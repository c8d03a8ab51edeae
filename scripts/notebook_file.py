r"""A notebook's file exactly as JupyterLab saves it, so that opening a notebook changes nothing.

JupyterLab 4.6, on opening a notebook, starts its kernel and writes two things into the notebook's
metadata: ``kernelspec`` (name, ``display_name`` and language of the kernelspec it started: ipykernel's
``python3`` is "Python 3 (ipykernel)") and ``language_info`` (the kernel's own, the Python version
included). Any difference marks the notebook unsaved at once and autosave rewrites it. The server then
writes the file with ``nbformat.write`` (keys sorted, one-space indent, multi-line strings split into
lists, a final newline). Seen here: a notebook committed with ``"display_name": "Python 3"`` came back
with only that line changed (tests/notebooks/test_open_save_browser.py holds the byte-identity).

Every script that writes a notebook writes it through ``write`` (or ``as_saved``): run_notebooks.py,
sync_links.py, mark_slides.py, strip_solutions.py. ``language_info`` is the executing kernel's
(nbclient stores it, exactly as JupyterLab would): a notebook opened with a kernel of another Python
version than the one it was run with still gets its ``version`` rewritten.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

# What JupyterLab writes for ipykernel's default kernelspec (``ipykernel.kernelspec.get_kernel_dict()``).
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def as_saved(nb) -> str:
    r"""The text of ``nb`` (a notebook node or its JSON dict) as JupyterLab saves it after its kernel started:
    ``KERNELSPEC`` in its metadata (on a copy), in nbformat's layout with the final newline."""
    nb = nbformat.from_dict(nb)  # a copy
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    text = nbformat.writes(nb, version=nbformat.NO_CONVERT)
    return text if text.endswith("\n") else text + "\n"


def write(nb, path: Path) -> bool:
    r"""Write ``nb`` to ``path`` as JupyterLab would save it; return whether the file changed."""
    path = Path(path)
    text = as_saved(nb)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True
