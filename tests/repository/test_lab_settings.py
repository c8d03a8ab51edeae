"""JupyterLab's settings overrides that the course environment installs: no "Jupyter news" pop-up.

JupyterLab 4 asks every new user, in a toast, whether to fetch Jupyter news (``fetchNews`` = "none").
``share/jupyter/lab/settings/overrides.d/flowlib.json`` sets it to "false" (and turns off the update
check, which would need it), as a default: a student can still switch it on in the Settings Editor.
``pip install .`` (Binder) installs the file through pyproject's data-files into
``sys.prefix/share/jupyter/lab/settings/overrides.d/``, where JupyterLab reads settings overrides; ``make
setup`` links it there for the editable install. A file in ``overrides.d`` leaves ``overrides.json`` to
the user (JupyterLab merges both).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
import tomllib

ROOT = next(parent for parent in Path(__file__).resolve().parents if (parent / "pyproject.toml").is_file())
OVERRIDES = Path("share/jupyter/lab/settings/overrides.d/flowlib.json")
PLUGIN = "@jupyterlab/apputils-extension:notification"


def effective_defaults(app_settings_dir: Path, tmp_path: Path) -> tuple[dict, list]:
    """The notification plugin's defaults as JupyterLab's server computes them from ``app_settings_dir``."""
    from jupyterlab.labapp import LabApp
    from jupyterlab_server.settings_utils import get_settings

    result, warnings = get_settings(str(app_settings_dir), LabApp().schemas_dir, str(tmp_path), schema_name=PLUGIN)
    properties = result["schema"]["properties"]
    return {name: properties[name]["default"] for name in ("fetchNews", "checkForUpdates")}, [w for w in warnings if w]


def test_the_overrides_switch_off_jupyter_news(tmp_path):
    assert json.loads((ROOT / OVERRIDES).read_text()) == {PLUGIN: {"fetchNews": "false", "checkForUpdates": False}}
    defaults, warnings = effective_defaults(ROOT / "share/jupyter/lab/settings", tmp_path)
    assert defaults == {"fetchNews": "false", "checkForUpdates": False} and warnings == []
    # without the file JupyterLab would ask (the pop-up this removes)
    assert effective_defaults(tmp_path / "empty", tmp_path)[0]["fetchNews"] == "none"


def test_the_overrides_are_installed_with_flowlib():
    data_files = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["data-files"]
    assert data_files[OVERRIDES.parent.as_posix()] == [OVERRIDES.as_posix()]  # pip install . (Binder)
    makefile = (ROOT / "Makefile").read_text()
    assert f"LAB_OVERRIDES := {OVERRIDES.as_posix()}" in makefile  # make setup: the editable install
    assert "$(call link-overrides,$(VENV))" in makefile and "$(call link-overrides,$(VENV7))" in makefile


def test_this_environment_has_the_overrides(tmp_path):
    """The running environment (made by `make setup`) reads the file: JupyterLab opens without the pop-up."""
    from jupyterlab.labapp import LabApp

    installed = Path(LabApp().app_settings_dir) / "overrides.d" / OVERRIDES.name
    if not installed.exists():
        message = f"{installed} is missing: `make setup` links it ({sys.prefix})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    assert effective_defaults(Path(LabApp().app_settings_dir), tmp_path)[0]["fetchNews"] == "false"


@pytest.mark.slow
def test_jupyterlab_opens_without_the_news_popup(tmp_path):
    """A real JupyterLab with these overrides (and nothing of the user's), in Chromium: after the launcher
    is up and a few seconds have passed, no toast asks about Jupyter news. (Without the file it does:
    seen here, "Would you like to get notified about official Jupyter news?" with Yes and No.)"""
    import signal
    import subprocess
    import time
    import urllib.request

    sys.path.insert(0, str(next((ROOT / "tests").rglob("browser.py")).parent))  # tests/ or tests/notebooks/
    from browser import chromium, free_port

    port, token = free_port(), os.urandom(16).hex()
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "config"), "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
               "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={tmp_path}",
               f"--LabApp.app_settings_dir={ROOT / 'share/jupyter/lab/settings'}",
               f"--LabApp.user_settings_dir={tmp_path / 'user'}", f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}"]
    if os.geteuid() == 0:
        command.append("--allow-root")
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=5)
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "JupyterLab did not start"
                time.sleep(0.5)
        with chromium() as browser:
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}/lab?token={token}")
            page.wait_for_selector(".jp-LauncherCard", timeout=120_000)
            page.wait_for_timeout(5000)  # the toast came about 1 s after the launcher without the overrides
            text = page.inner_text("body")
        assert "Jupyter news" not in text
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
