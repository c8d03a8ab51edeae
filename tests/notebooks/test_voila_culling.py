r"""Voilà shuts down a closed page's kernel, keeps an open page's, and loads no add-on it refuses (issue 30).

Each Voilà page starts a kernel (about 380 MB with torch and the playground). The course's server settings,
``etc/jupyter/jupyter_server_config.json`` (installed by ``pip install .`` into ``sys.prefix/etc/jupyter``:
what Binder's Jupyter server, which runs Voilà's server extension, reads; a file in
``jupyter_server_config.d/`` would only be read for enabling extensions) and loaded by ``scripts/voila_config/voila.py`` for
``make playground``, cull a kernel that has no connection and has been idle for ``cull_idle_timeout`` s, and
keep Voilà from requesting the slideshow's widget shim (a 403 on every page load before).

The browser test starts Voilà as ``make playground`` does, with short culling times from the environment
(``VOILA_CULL_IDLE_S``, default 10; ``VOILA_CULL_INTERVAL_S``, default 2; ``VOILA_CULL_WAIT_S``, default 120,
how long the kernel may take to go), opens the page in Chromium, checks that the kernel stays while the page
is open and idle, closes the page, and waits for the kernel process to end.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest
import tomllib
from browser import VIEWPORT
from notebook_sliders import ROOT
from test_playground_browser import NOTEBOOK, Voila
from test_sliders_browser import browser  # noqa: F401  (the module's Chromium fixture)

SERVER_CONFIG = Path("etc/jupyter/jupyter_server_config.json")
SHIM = "flowlib-rise-widgets"
IDLE_S = float(os.environ.get("VOILA_CULL_IDLE_S", "10"))
INTERVAL_S = float(os.environ.get("VOILA_CULL_INTERVAL_S", "2"))
WAIT_S = float(os.environ.get("VOILA_CULL_WAIT_S", "120"))


def voila_config():
    from traitlets.config.loader import PyFileConfigLoader

    return PyFileConfigLoader("voila.py", path=str(ROOT / "scripts" / "voila_config")).load_config()


def test_playground_and_binder_cull_closed_pages_kernels_within_two_minutes():
    settings = json.loads((ROOT / SERVER_CONFIG).read_text(encoding="utf-8"))
    kernels = settings["MappingKernelManager"]
    assert kernels["cull_connected"] is False and kernels["cull_busy"] is False  # an open page's kernel stays
    assert 0 < kernels["cull_idle_timeout"] and kernels["cull_idle_timeout"] + kernels["cull_interval"] <= 120
    assert settings["VoilaConfiguration"]["extension_denylist"] == [SHIM]
    loaded = voila_config()  # what `make playground` runs with
    for section, values in settings.items():
        for name, value in values.items():
            assert loaded[section][name] == value, (section, name)
    data_files = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["data-files"]
    assert data_files[SERVER_CONFIG.parent.as_posix()] == [SERVER_CONFIG.as_posix()]  # pip install . (Binder)


def test_the_jupyter_server_reads_the_settings_from_the_environment(tmp_path, monkeypatch):
    """Installed into an environment's etc/jupyter (here: that folder of the repository, put on the config path),
    the file is read by the Jupyter server's own config loading, the one Binder's server goes through."""
    from jupyter_server.serverapp import ServerApp

    monkeypatch.setenv("JUPYTER_CONFIG_PATH", str(ROOT / SERVER_CONFIG.parent))
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path))  # no user configuration
    app = ServerApp()
    app.load_config_file()
    settings = json.loads((ROOT / SERVER_CONFIG).read_text(encoding="utf-8"))
    for section, values in settings.items():
        for name, value in values.items():
            assert app.config[section][name] == value, (section, name)


def kernels_of(pid: int) -> list[int]:
    """The ipykernel processes whose parent is ``pid`` (jupyter_client starts each in its own session)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if parent == pid and b"ipykernel_launcher" in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except (OSError, ValueError, IndexError):  # the process ended meanwhile
            continue
    return found


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="counts kernel processes through /proc (Linux)")
def test_closed_page_kernel_goes_and_no_add_on_is_refused(browser, tmp_path, capsys):  # noqa: F811
    culling = (f"--MappingKernelManager.cull_idle_timeout={IDLE_S:g}", f"--MappingKernelManager.cull_interval={INTERVAL_S:g}")
    with Voila(NOTEBOOK, tmp_path, extra_args=culling) as voila:
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        refused = []
        page.on("response", lambda response: response.status >= 400 and refused.append(f"{response.status} {response.url}"))
        start = time.monotonic()
        page.goto(voila.url, timeout=180_000)
        page.wait_for_selector(".flowlib-playground img", timeout=180_000)
        loaded = time.monotonic() - start
        (kernel,) = kernels_of(voila.process.pid)
        status = Path(f"/proc/{kernel}/status").read_text()
        rss_mb = int(re.search(r"VmRSS:\s+(\d+) kB", status)[1]) / 1024  # what a closed page would keep
        time.sleep(IDLE_S + 2 * INTERVAL_S + 1)  # idle but connected: it must stay
        assert len(kernels_of(voila.process.pid)) == 1, f"an open page's kernel was culled:\n{voila.log_tail()}"
        context.close()
        closed = time.monotonic()
        while kernels_of(voila.process.pid) and time.monotonic() - closed < WAIT_S:
            time.sleep(0.5)
        gone = time.monotonic() - closed
        log = voila.log_path.read_text(errors="replace")
        left = kernels_of(voila.process.pid)
        assert left == [], f"the closed page's kernel is still running after {WAIT_S:g} s:\n{voila.log_tail()}"
    assert "Culling 'idle' kernel" in log
    assert refused == [] and " 403 " not in log and f"{SHIM}/static" not in log, (refused, log[-3000:])
    with capsys.disabled():
        print(f"\nvoila culling: page loaded in {loaded:.0f} s, its kernel held {rss_mb:.0f} MB; "
              f"kernel gone {gone:.1f} s after the page closed "
              f"(idle timeout {IDLE_S:g} s, checked every {INTERVAL_S:g} s)")
