"""The course website's sources, without a browser: ``make site``, its pinned requirements, the GitHub Pages
workflow, and what ``scripts/build_site.py`` makes of the README and the notebooks (the pages themselves
are checked in Chromium by test_site_browser.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = next(parent for parent in Path(__file__).resolve().parents if (parent / "pyproject.toml").is_file())
sys.path.insert(0, str(ROOT / "scripts"))
import build_site  # noqa: E402
from colab_cell import repository_slug  # noqa: E402


def pinned(path: Path) -> dict[str, str]:
    result = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            requirement = Requirement(line)
            (spec,) = requirement.specifier
            assert spec.operator == "==", f"{path.name} must pin exactly: {line!r}"
            result[canonicalize_name(requirement.name)] = spec.version
    return result


def test_site_requirements_are_pinned_and_leave_the_course_pins_alone():
    site, course = pinned(ROOT / "requirements-site.txt"), pinned(ROOT / "requirements.txt")
    assert {"jupyter-book", "sphinx-mathjax-offline"} <= set(site)
    assert site["jupyter-book"].startswith("1.")  # Jupyter Book 1: Sphinx, pure Python (2 needs Node.js)
    assert set(site) & set(course) == set()  # make site installs it with requirements.txt as constraints
    makefile = (ROOT / "Makefile").read_text()
    assert "pip install -r requirements-site.txt -c requirements.txt" in makefile
    assert "\nsite: site-setup" in makefile and "test: setup setup-ipyw7 site-setup" in makefile


def test_the_site_lands_in_a_git_ignored_folder():
    relative = build_site.HTML.relative_to(ROOT)
    ignored = subprocess.run(["git", "check-ignore", "-q", str(relative / "index.html")], cwd=ROOT)
    assert ignored.returncode == 0, f"{relative} is not git-ignored"


def test_the_pages_workflow_publishes_make_site_from_main():
    workflow = yaml.safe_load((ROOT / ".github/workflows/pages.yml").read_text())
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads the key `on` as True
    assert triggers["push"]["branches"] == ["main"]
    build = workflow["jobs"]["build"]["steps"]
    assert any(step.get("run", "").startswith("make site") for step in build)
    upload = next(step for step in build if step.get("uses", "").startswith("actions/upload-pages-artifact"))
    assert upload["with"]["path"] == build_site.HTML.relative_to(ROOT).as_posix()
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert any(step.get("uses", "").startswith("actions/deploy-pages") for step in workflow["jobs"]["deploy"]["steps"])


def test_pages_come_from_the_notebooks_folder_in_the_slides_order(tmp_path, monkeypatch):
    for name in ["08_playground", "04b_realnvp_on_images", "01_change_of_variables", "04_realnvp", "10_more"]:
        (tmp_path / "notebooks").mkdir(exist_ok=True)
        (tmp_path / "notebooks" / f"{name}.ipynb").write_text("{}")
    (tmp_path / "notebooks" / "scratch.ipynb").write_text("{}")  # not a course notebook
    monkeypatch.setattr(build_site, "ROOT", tmp_path)
    assert [p.stem for p in build_site.notebook_paths()] == [
        "01_change_of_variables", "04_realnvp", "04b_realnvp_on_images", "08_playground", "10_more"]


def test_the_landing_page_is_the_readme_course_map():
    page = build_site.landing_page((ROOT / "README.md").read_text(encoding="utf-8"))
    assert page.startswith("# ") and "## Course map" in page and "docs/flow_density.png" in page
    # the badges' images live on other hosts: plain links instead
    assert "badge_logo.svg" not in page and "colab-badge.svg" not in page
    binder = f"https://mybinder.org/v2/gh/{repository_slug()}/main?urlpath=lab/tree/notebooks/01_change_of_variables.ipynb"
    assert f"[Binder]({binder})" in page
    # "§ heading" links to its section: the anchor MyST gives the heading (math left out)
    assert "[§ Change of variable formula: $x = Az$](notebooks/01_change_of_variables.ipynb#change-of-variable-formula-)" in page


def test_a_notebook_page_hides_the_colab_cell_and_replaces_a_live_widget():
    nb = nbformat.read(ROOT / "notebooks/08_playground.ipynb", as_version=4)
    page, counts = build_site.site_notebook(nb, "notebooks/08_playground.ipynb")
    assert counts == {"stills": 0, "live widgets": 1, "colab cell hidden": 1}
    assert "remove-cell" in page.cells[0].metadata.tags and "remove-cell" not in nb.cells[0].metadata.get("tags", [])
    assert "A kernel is needed" in page.cells[2].source and "08_playground.ipynb" in page.cells[2].source
    outputs = [out for cell in page.cells if cell.cell_type == "code" for out in cell.outputs]
    assert not any(build_site.WIDGET_VIEW in out.get("data", {}) for out in outputs)


def test_widget_views_with_stored_state_become_their_stills():
    """A notebook saved with its widget state (not how they are committed, but how JupyterLab saves them)
    shows each widget's still, as ``scripts/offline_outputs.py`` makes it."""
    import base64

    png = base64.b64encode(bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2d8bb9f0000000049454e44ae426082")).decode()
    nb = nbformat.v4.new_notebook()
    view = {"model_id": "box", "version_major": 2, "version_minor": 0}
    nb.cells = [nbformat.v4.new_code_cell("show", outputs=[nbformat.v4.new_output(
        "display_data", data={build_site.WIDGET_VIEW: view, "text/plain": "Shown(children=...)"})])]
    state = {"box": {"model_name": "VBoxModel",  # a Demo.show box: a slider over an Image (its PNG a stored buffer)
                     "state": {"_model_name": "VBoxModel", "_dom_classes": ["widget-interact", "flowlib-demo"],
                               "children": ["IPY_MODEL_s", "IPY_MODEL_i"]}},
             "s": {"model_name": "FloatSliderModel",
                   "state": {"_model_name": "FloatSliderModel", "description": "a", "value": 1.5}},
             "i": {"model_name": "ImageModel", "state": {"_model_name": "ImageModel", "format": "png"},
                   "buffers": [{"data": png, "encoding": "base64", "path": ["value"]}]}}
    nb.metadata["widgets"] = {build_site.WIDGET_STATE: {"state": state, "version_major": 2, "version_minor": 0}}
    page, counts = build_site.site_notebook(nb, "notebooks/99_x.ipynb")
    assert counts["stills"] == 1 and counts["live widgets"] == 0 and "widgets" not in page.metadata
    outputs = page.cells[0].outputs
    assert "a = 1.5" in outputs[0].text and "image/png" in outputs[1].data
