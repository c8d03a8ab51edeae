"""The repository's address, and the first cell of every notebook (installs flowlib on Colab only).

The address is written once, in pyproject.toml's ``[project.urls] Repository``; the branch that the
badges and the Colab install point at is ``BRANCH`` below. Everything else is derived here:

    python scripts/colab_cell.py        # print the exact source of every notebook's first cell

``scripts/sync_links.py`` writes this cell into every notebook and the badges into README.md;
``tests/repository/test_links.py`` fails when any of them disagrees. Import from here, never copy the strings.
"""

from __future__ import annotations

import re
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser, packaged separately
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
BRANCH = "main"
_GITHUB = re.compile(r"https://github\.com/(?P<org>[A-Za-z0-9_.-]+)/(?P<repo>[A-Za-z0-9_.-]+)")


def repository_url() -> str:
    """``https://github.com/ORG/REPO`` from pyproject.toml; a clear error if it is missing or not GitHub."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8")).get("project", {})
    url = project.get("urls", {}).get("Repository")
    if url is None:
        raise ValueError("pyproject.toml: expected the repository address in [project.urls] Repository")
    url = url.rstrip("/").removesuffix(".git")
    if not _GITHUB.fullmatch(url):
        raise ValueError(f"pyproject.toml [project.urls] Repository: expected https://github.com/ORG/REPO, got {url!r}")
    return url


def repository_slug() -> str:
    """``ORG/REPO``, the part of the address that Binder and Colab URLs use."""
    return repository_url().removeprefix("https://github.com/")


def colab_cell_source() -> str:
    """The first cell of every notebook: pip-installs flowlib from the repository on Colab, nothing elsewhere."""
    return (
        "# On Colab only: install flowlib from the course repository. Elsewhere this does nothing.\n"
        "import subprocess\n"
        "import sys\n"
        "\n"
        'if "google.colab" in sys.modules:\n'
        f'    repository = "git+{repository_url()}@{BRANCH}"\n'
        '    subprocess.run([sys.executable, "-m", "pip", "install", "-q", repository], check=True)'
    )


if __name__ == "__main__":
    print(colab_cell_source())
