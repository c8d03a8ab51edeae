r"""What a newcomer meets first (issue 30): the make targets they type, and the README's counts.

``make lab`` serves the repository's root (``student-notebooks/`` is reachable) and opens at ``notebooks/``;
``make playground`` prints the address it serves before starting Voilà (a fixed port, no retries, so the
printed address is the served one); ``make student-notebooks``, which the README names, exists. The README's
number of exercises per notebook is counted from the notebooks (each exercise ends in ``check.NAME(...)``).
Read with ``make -n``: nothing is installed or started.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = next(parent for parent in Path(__file__).resolve().parents if (parent / "pyproject.toml").is_file())
NUMBERS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}


def dry_run(target: str, *variables: str) -> list[str]:
    """The commands ``make TARGET`` would run (``make -n``): the setup's first, the target's last."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    done = subprocess.run(["make", "-n", "--no-print-directory", target, *variables], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    return done.stdout.splitlines()


def test_make_lab_serves_the_repository_and_opens_at_the_notebooks():
    command = dry_run("lab")[-1]
    assert "jupyter lab" in command
    assert f'--ServerApp.root_dir="{ROOT}"' in command and "--LabApp.default_url=/lab/tree/notebooks" in command


def test_make_playground_prints_the_address_it_serves():
    for port, variables in (("8866", ()), ("8900", ("PLAYGROUND_PORT=8900",))):
        lines = dry_run("playground", *variables)
        said = next(line for line in lines if line.startswith("echo"))
        voila = lines[-1]
        assert f"http://127.0.0.1:{port}/" in said and lines.index(said) < len(lines) - 1
        assert "--Voila.ip=127.0.0.1" in voila and f"--Voila.port={port}" in voila and "--Voila.port_retries=0" in voila


def test_make_student_notebooks_exists():
    assert "scripts/strip_solutions.py" in dry_run("student-notebooks")[-1]


def exercises(path: Path) -> int:
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    return sum(len(re.findall(r"^check\.\w+\(", source, re.M)) for source in code)


def test_readme_states_the_number_of_exercises_the_notebooks_have():
    counts = {path.name: exercises(path) for path in sorted((ROOT / "notebooks").glob("0[1-7]_*.ipynb"))}
    assert len(set(counts.values())) == 1, f"the notebooks have different numbers of exercises: {counts}"
    (count,) = set(counts.values())
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f'Each of notebooks 01-07 has {NUMBERS[count]} **"Your turn"** exercises' in readme, counts
    images = exercises(ROOT / "notebooks" / "04b_realnvp_on_images.ipynb")
    assert f"04b has {NUMBERS[images]} (the squeeze)" in readme, images


def test_readme_says_how_long_make_test_takes_and_where_the_number_comes_from():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.search(r"make test.*\d+ minutes on 2 cores", readme)
    assert re.search(r"the whole suite took \d+ minutes on a 2-core machine \(the course's\s+development machine", readme)
