r"""Delivery: every badge, Colab cell and README link agrees with the one repository address.

The address is ``[project.urls] Repository`` in pyproject.toml; ``scripts/sync_links.py`` (``make
links``) regenerates what depends on it. These tests fail when anything disagrees, and check that the
check itself catches a stale address, a stale Colab cell and a renamed notebook section.
"""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import colab_cell  # noqa: E402
import make_figures  # noqa: E402
import sync_links  # noqa: E402

README = (ROOT / "README.md").read_text(encoding="utf-8")
NOTEBOOKS = sync_links.notebook_paths()


def test_everything_agrees_with_the_repository_address():
    problems = sync_links.problems()
    assert not problems, "run `make links` (python scripts/sync_links.py):\n" + "\n".join(problems)


def test_every_notebook_has_one_binder_and_one_colab_badge():
    assert NOTEBOOKS, "no notebooks/NN_*.ipynb found"
    for path in NOTEBOOKS:
        assert README.count(f"({sync_links.binder_url(path.name)})") == 1, f"Binder badge of {path.name}"
        assert README.count(f"({sync_links.colab_url(path.name)})") == 1, f"Colab badge of {path.name}"


def test_every_notebook_starts_with_the_colab_cell():
    expected = colab_cell.colab_cell_source()
    for path in NOTEBOOKS:
        first = nbformat.read(path, as_version=4).cells[0]
        assert (first.cell_type, first.source) == ("code", expected), f"{path.name}: run `make links`"


def test_the_check_catches_a_stale_address():
    slug = colab_cell.repository_slug()
    stale = README.replace(slug, "someone-else/old-course")
    problems = sync_links.readme_problems(stale)
    assert any("out of date" in p for p in problems)
    assert any("someone-else/old-course" in p for p in problems)


def test_the_check_catches_a_stale_colab_cell():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(colab_cell.colab_cell_source())])
    assert sync_links.notebook_problems(nb, "x.ipynb") == []
    nb.cells[0].source = nb.cells[0].source.replace(colab_cell.repository_slug(), "someone-else/old-course")
    assert sync_links.notebook_problems(nb, "x.ipynb")
    nb.cells[0] = nbformat.v4.new_markdown_cell("# A title first")
    assert sync_links.notebook_problems(nb, "x.ipynb")


def test_the_check_catches_a_renamed_section_and_a_missing_notebook():
    sections = sync_links.course_map_sections(README)
    assert sections, "the course map names no '§ section'"
    _, heading = sections[0]
    problems = sync_links.readme_problems(README.replace(f"§ {heading}", f"§ {heading} (renamed)", 1))
    assert any("(renamed)" in p and "is not a heading" in p for p in problems)
    problems = sync_links.readme_problems(README.replace("notebooks/01_change_of_variables.ipynb", "notebooks/01_gone.ipynb"))
    assert any("01_gone.ipynb, which does not exist" in p for p in problems)


def test_sync_fills_badges_and_run_times(tmp_path):
    times = tmp_path / "run_times.txt"
    times.write_text("# measured idle\n01_change_of_variables.ipynb               31.6 s\n")
    rendered = sync_links.render_readme(README, sync_links.read_run_times(times))
    row = next(line for line in rendered.splitlines() if "](notebooks/01_change_of_variables.ipynb)" in line)
    assert row.endswith("| 32 s |") and sync_links.colab_url("01_change_of_variables.ipynb") in row
    later = [line for line in rendered.splitlines() if "](notebooks/01_change_of_variables.ipynb)" in line][1:]
    assert later and all(line.endswith("|  |  |") for line in later), "badges only on a notebook's first row"


def test_run_times_from_the_notebook_benchmark_table(tmp_path):
    table = tmp_path / "run_times.txt"
    table.write_text("# 7 notebooks, median of 3 run(s) each, 2 CPU cores\n\n| notebook | run time (s) | within 60 s |\n"
                     "|---|---|---|\n| 01_change_of_variables.ipynb | 31.6 | yes |\n| 02_jacobians.ipynb | 64.4 | NO |\n"
                     "| total | 96.0 | |\n")
    assert sync_links.read_run_times(table) == {"01_change_of_variables.ipynb": "32 s", "02_jacobians.ipynb": "64 s"}


def test_run_times_file_errors_name_the_line(tmp_path):
    bad = tmp_path / "run_times.txt"
    bad.write_text("01_change_of_variables.ipynb 31.6 s\n01_x.ipynb fast\n")
    with pytest.raises(ValueError, match=r"line 2: expected '<notebook>.ipynb <seconds> s'"):
        sync_links.read_run_times(bad)


def test_repository_address_errors_are_clear(tmp_path, monkeypatch):
    monkeypatch.setattr(colab_cell, "ROOT", tmp_path)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    with pytest.raises(ValueError, match=r"\[project.urls\] Repository"):
        colab_cell.repository_url()
    (tmp_path / "pyproject.toml").write_text('[project.urls]\nRepository = "https://gitlab.com/a/b"\n')
    with pytest.raises(ValueError, match="expected https://github.com/ORG/REPO"):
        colab_cell.repository_url()


def test_colab_cell_is_silent_off_colab_and_installs_on_colab():
    source = colab_cell.colab_cell_source()
    off = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True, timeout=60)
    assert (off.returncode, off.stdout, off.stderr) == (0, "", "")
    # On Colab: a stand-in google.colab module, and subprocess.run recording instead of installing.
    probe = ("import sys, types, subprocess\n"
             "sys.modules['google.colab'] = types.ModuleType('google.colab')\n"
             "subprocess.run = lambda cmd, check: print(cmd)\n" + source)
    on = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert on.returncode == 0, on.stderr
    url = f"git+{colab_cell.repository_url()}@{colab_cell.BRANCH}"
    assert on.stdout.strip() == str([sys.executable, "-m", "pip", "install", "-q", url])


def _github_anchor(heading: str) -> str:
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_readme_local_links_and_anchors_resolve():
    anchors = {_github_anchor(line.lstrip("#")) for line in README.splitlines() if line.startswith("#")}
    for target in re.findall(r"\]\(([^)\s]+)\)", README):
        if target.startswith(("http://", "https://")):
            continue
        if target.startswith("#"):
            assert target[1:] in anchors, f"README.md links {target}, which is no heading"
        else:
            path, _, anchor = target.partition("#")
            assert (ROOT / path).exists(), f"README.md links {path}, which does not exist"
            if anchor:
                headings = (ROOT / path).read_text().splitlines()
                assert anchor in {_github_anchor(h.lstrip("#")) for h in headings if h.startswith("#")}, \
                    f"README.md links {target}, but {path} has no such heading"


def test_readme_figures_are_committed_pngs():
    figures = re.findall(r"!\[[^\]]*\]\((docs/[^)]+\.png)\)", README)
    assert len(figures) >= 2
    for figure in figures:
        with open(ROOT / figure, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n", f"{figure} is not a PNG"


def test_figure_script_draws_from_flowlib():
    """The drawing half of scripts/make_figures.py on an untrained flow (``make figures`` trains one)."""
    import torch

    from flowlib import make_realnvp, toy_data

    torch.manual_seed(0)
    flow = make_realnvp(2, layers=8, hidden=(8,))
    density = make_figures.density_figure(flow, toy_data("moons", 200), nll=1.5)
    layers = make_figures.layers_figure(flow)
    assert len(density.axes) >= 3 and "1.50 nats" in density.axes[1].get_title()
    assert sum(ax.axison for ax in layers.axes) == len(flow.layers) + 1  # z, after each layer, x


def test_readme_python_example_runs():
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.S)
    assert blocks, "README.md has no ```python example"
    for block in blocks:
        run = subprocess.run([sys.executable, "-c", block], capture_output=True, text=True, timeout=300, cwd=ROOT)
        assert run.returncode == 0, f"README example failed:\n{block}\n{run.stderr[-2000:]}"


@pytest.mark.slow
def test_colab_install_packages_every_subpackage(tmp_path):
    """Colab pip-installs a plain (non-editable) wheel: it must hold every subpackage (each lesson of
    flowlib.lessons) with all its modules, the MNIST weights notebooks 03 and 04 load, and (for Binder and
    `pip install .`) the RISE slideshow's widget shim, JupyterLab's settings overrides and the Jupyter server's
    settings (culling, Voilà's extension deny list) as data files."""
    pytest.importorskip("setuptools", reason="building the wheel needs setuptools, pyproject.toml's build backend")
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        (src / name).write_bytes((ROOT / name).read_bytes())
    packages = sorted({p.parent.relative_to(ROOT).as_posix() for p in (ROOT / "flowlib").rglob("__init__.py")})
    for package in packages:
        (src / package).mkdir(parents=True, exist_ok=True)
        for module in (ROOT / package).glob("*.py"):
            (src / package / module.name).write_bytes(module.read_bytes())
    weights = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "flowlib" / "weights").iterdir() if p.is_file())
    for name in weights:
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_bytes((ROOT / name).read_bytes())
    # the data files: the slideshow's widget shim and lab settings (share/), the Jupyter server's settings (etc/)
    shim = [p.relative_to(ROOT).as_posix() for top in ("share", "etc") for p in (ROOT / top).rglob("*") if p.is_file()]
    for name in shim:
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_bytes((ROOT / name).read_bytes())
    build = ("import sys\nfrom setuptools import build_meta\n"
             "print(build_meta.build_wheel(sys.argv[1]))")
    run = subprocess.run([sys.executable, "-c", build, str(tmp_path / "dist")], cwd=src, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    wheel = tmp_path / "dist" / run.stdout.strip().splitlines()[-1]
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "flowlib/lessons/n08_playground" in packages and "flowlib/check" in packages
    modules = [p.relative_to(ROOT).as_posix() for package in packages for p in (ROOT / package).glob("*.py")]
    missing = [name for name in modules + weights if name not in names]
    assert not missing, f"the wheel Colab installs lacks {missing}"
    assert any(name.endswith(".pt") for name in weights)
    data = sorted(name.split(".data/data/", 1)[1] for name in names if ".data/data/" in name)
    assert data == sorted(shim) and shim, f"the wheel's data files {data} are not the shim's {shim}"
