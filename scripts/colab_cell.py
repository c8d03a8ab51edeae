"""The first cell of every notebook: install flowlib, but only on Colab (it prints nothing elsewhere).

The repository's address is written once, in pyproject.toml's [project.urls] Repository.
"""

from __future__ import annotations

from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]


def repository_url() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Repository"]


def colab_cell_source() -> str:
    return (
        "# On Colab only: install flowlib from the course repository. Elsewhere this does nothing.\n"
        "import subprocess, sys\n"
        "if \"google.colab\" in sys.modules:\n"
        f"    subprocess.run([sys.executable, \"-m\", \"pip\", \"install\", \"-q\", \"git+{repository_url()}\"], check=True)"
    )


if __name__ == "__main__":
    print(colab_cell_source())
