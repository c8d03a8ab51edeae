"""The course environment: requirements.txt (the pins), pyproject.toml (the ranges) and environment.yml
(Binder) agree; and importing flowlib changes nothing (no seeds, no rcParams, no figures)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib
import yaml  # PyYAML: a dependency of jupyterlab (through jupyter-events), so always in the course environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
CONDA_TO_PIP = {"pytorch": "torch"}  # conda-forge names that differ from PyPI's
NOT_PACKAGES = {"python", "pip"}  # in environment.yml, but not pinned in requirements.txt


def pins() -> dict[str, str]:
    """requirements.txt as {canonical name: version}; every line must be an exact pin."""
    result = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            requirement = Requirement(line)
            specs = list(requirement.specifier)
            assert len(specs) == 1 and specs[0].operator == "==", f"requirements.txt must pin exactly: {line!r}"
            result[canonicalize_name(requirement.name)] = specs[0].version
    return result


def environment() -> dict:
    return yaml.safe_load((ROOT / "environment.yml").read_text())


def conda_packages() -> dict[str, tuple[str, str | None]]:
    """environment.yml's conda packages as {canonical pip name: (version, build)}."""
    result = {}
    for entry in environment()["dependencies"]:
        if isinstance(entry, str):
            name, _, rest = entry.partition("=")
            version, _, build = rest.partition("=")
            result[canonicalize_name(CONDA_TO_PIP.get(name.strip(), name.strip()))] = (version.strip(), build.strip() or None)
    return result


def test_environment_yml_agrees_with_requirements_txt():
    pinned, conda = pins(), conda_packages()
    shared = sorted(set(pinned) & set(conda))
    assert "torch" in shared and len(shared) >= 6
    disagree = {name: (pinned[name], conda[name][0]) for name in shared if pinned[name] != conda[name][0]}
    assert disagree == {}, "requirements.txt and environment.yml pin different versions (pip, conda)"


def test_environment_yml_has_every_runtime_dependency():
    """Missing from conda, `pip install -e .` would fetch it from PyPI: for torch, a multi-GB CUDA build."""
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    conda = conda_packages()
    missing = [d for d in dependencies if canonicalize_name(Requirement(d).name) not in conda]
    assert missing == []


def test_pins_satisfy_the_declared_ranges():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pinned = pins()
    extras = project["optional-dependencies"]
    declared = [*project["dependencies"], *extras["notebooks"], *extras["test"]]
    for line in declared:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{name} is declared in pyproject.toml but not pinned in requirements.txt"
        assert pinned[name] in requirement.specifier, f"the pin {name}=={pinned[name]} is outside pyproject's {line!r}"


def test_binder_uses_conda_forge_cpu_pytorch_and_installs_flowlib():
    env = environment()
    assert env["channels"] == ["conda-forge"]
    version, build = conda_packages()["torch"]
    assert build is not None and build.startswith("cpu"), "pytorch must be the CPU build (=VERSION=cpu*), not CUDA"
    pip_sections = [entry["pip"] for entry in env["dependencies"] if isinstance(entry, dict) and "pip" in entry]
    assert pip_sections == [["."]]  # not -e: an editable install skips the RISE widget shim (data-files)
    assert "pip" in env["dependencies"]  # the pip section needs conda's pip
    python = conda_packages()["python"][0]
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert Requirement(f"python{requires}").specifier.contains(python + ".0")


def test_no_binder_folder():
    """repo2docker would use a binder/ folder instead of the root environment.yml."""
    assert not (ROOT / "binder").exists() and not (ROOT / ".binder").exists()


# ---------------------------------------------------------------- importing flowlib changes nothing

IMPORT_PROBE = r"""
import json, pkgutil, importlib, random, sys, warnings
import numpy as np
import torch
import matplotlib
import matplotlib.pyplot as plt

def state():
    return {
        "torch_rng": torch.get_rng_state().tolist(),
        "torch_seed": torch.initial_seed(),
        "numpy_rng": np.random.get_state()[1].tolist(),
        "python_rng": random.getstate()[1][:8],
        "rcParams": {k: repr(v) for k, v in matplotlib.rcParams.items()},
        "backend": matplotlib.get_backend(),
        "figures": plt.get_fignums(),
        "default_dtype": str(torch.get_default_dtype()),
        "threads": torch.get_num_threads(),
        "grad": torch.is_grad_enabled(),
        "warning_filters": len(warnings.filters),
    }

before = state()
import flowlib
modules = [name for _, name, _ in pkgutil.walk_packages(flowlib.__path__, "flowlib.")]
for name in modules:
    importlib.import_module(name)
after = state()
changed = sorted(k for k in before if before[k] != after[k])
rc = sorted(k for k in before["rcParams"] if before["rcParams"][k] != after["rcParams"][k])
print(json.dumps({"changed": changed, "rcParams": rc, "modules": modules, "sklearn": "sklearn" in sys.modules}))
"""


def test_importing_flowlib_does_nothing_but_define_things():
    env = {**os.environ, "MPLBACKEND": "Agg"}  # a fresh process: nothing imported yet, no display
    result = subprocess.run([sys.executable, "-c", IMPORT_PROBE], capture_output=True, text=True, timeout=300, env=env, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["changed"] == [] and report["rcParams"] == [], report
    assert result.stdout.count("\n") == 1  # printed nothing but the report
    assert "flowlib.datasets" in report["modules"] and len(report["modules"]) >= 10
    assert not report["sklearn"]  # scikit-learn is imported when digits are loaded, not at import time


@pytest.mark.parametrize("path", ["README.md", "pyproject.toml", "requirements.txt", "environment.yml", "Makefile", ".ci/run"])
def test_skeleton_files_exist(path):
    assert (ROOT / path).is_file()



def test_the_rise_widget_shim_is_installed_with_flowlib():
    """Every file of the slideshow's widget shim is in pyproject's data-files (a wheel installs it into
    sys.prefix/share/jupyter/labextensions), and `make setup` links it into an editable .venv."""
    shim = ROOT / "share" / "jupyter" / "labextensions" / "flowlib-rise-widgets"
    files = sorted(str(p.relative_to(ROOT)) for p in shim.rglob("*") if p.is_file())
    data_files = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["data-files"]
    assert all(Path(f).parent == Path(target) for target, sources in data_files.items() for f in sources)
    listed = sorted(f for sources in data_files.values() for f in sources if f.startswith(shim.relative_to(ROOT).as_posix()))
    assert files == listed and "share/jupyter/labextensions/flowlib-rise-widgets/package.json" in files
    build = json.loads((shim / "package.json").read_text())["jupyterlab"]["_build"]
    assert (shim / build["load"]).is_file()
    assert "link-shim" in (ROOT / "Makefile").read_text()
