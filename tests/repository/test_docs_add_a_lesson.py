"""docs/add-a-lesson.md: its example lesson, written as the page gives it, passes what every lesson passes."""

from __future__ import annotations

import ast
import re
import shutil
import sys
from pathlib import Path

from demo_harness import all_demos, check_fits, exercise
from test_layout import LESSONS, imports, lessons_in, offenders

import flowlib.lessons

PAGE = Path(__file__).resolve().parents[2] / "docs" / "add-a-lesson.md"


def _files() -> dict[str, str]:
    """``{path: source}`` of every python block of the page, named by its first line ``# <path>``."""
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), flags=re.DOTALL)
    return {block.splitlines()[0].removeprefix("# ").split(",")[0]: block for block in blocks}


def test_the_page_gives_one_folder_one_notebook_cell_and_one_test_file():
    paths = sorted(_files())
    assert paths == ["flowlib/lessons/n09_sine_flow/__init__.py", "flowlib/lessons/n09_sine_flow/maths.py",
                     "flowlib/lessons/n09_sine_flow/views.py", "notebooks/09_sine_flow.ipynb",
                     "tests/lessons/n09_sine_flow/test_views.py"]


def test_the_example_lesson_works_and_keeps_the_layout(tmp_path, monkeypatch):
    files = _files()
    root = tmp_path / "lessons"
    shutil.copytree(LESSONS, root, ignore=shutil.ignore_patterns("__pycache__"))
    folder = root / "n09_sine_flow"
    folder.mkdir()
    for path, source in files.items():
        if path.startswith("flowlib/lessons/"):
            (folder / Path(path).name).write_text(source, encoding="utf-8")
    assert offenders(root) == {}  # the layout rules hold with the new lesson in
    names = ("flowlib.lessons.n09_sine_flow", "flowlib.lessons.n09_sine_flow.maths", "flowlib.lessons.n09_sine_flow.views")
    monkeypatch.setattr(flowlib.lessons, "__path__", [*flowlib.lessons.__path__, str(root)])
    for name in names:
        monkeypatch.delitem(sys.modules, name, raising=False)
    try:
        demos = all_demos()  # the slider tests find its Demo by themselves
        assert "n09_sine_flow.SINE" in demos
        demo = demos["n09_sine_flow.SINE"]
        check_fits("n09_sine_flow.SINE", demo, demo.example_state())
        assert len(exercise(demo, compare=True)) == 4  # a, its ends, its middle and the special setting
        cell = files["notebooks/09_sine_flow.ipynb"]
        assert lessons_in(imports(ast.parse(cell))) == {"n09_sine_flow"}  # the notebook's one lesson line
        namespace: dict = {}
        exec(compile(cell, "the setup cell", "exec"), namespace)
        assert namespace["z"].shape == (2000,)
        namespace = {}
        exec(compile(files["tests/lessons/n09_sine_flow/test_views.py"], "test_views.py", "exec"), namespace)
        tests = [fn for name, fn in namespace.items() if name.startswith("test_")]
        assert tests
        for test in tests:
            test()
    finally:
        for name in names:
            sys.modules.pop(name, None)
