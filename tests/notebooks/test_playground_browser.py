r"""The playground (notebook 08) as a web page: Voilà serving it, Chromium driving it (Python Playwright).

Voilà starts on 127.0.0.1 (a free port, a ``python3`` kernelspec for this very Python); the page must
show the playground; Train must make the loss on the status line fall and the image change within a
few seconds; after Pause the step count and the image must stay still; switching the model must give
a fresh model (step 0) without an error. Skips (fails under ``CI=true``) without Chromium, as the
slider browser tests do. Artifact: ``test-artifacts/browser/playground.png``.

Also without a browser: plain ``voila notebooks/08_playground.ipynb``, without this course's config file
(as typed by hand, or a Binder ``voila/render`` address), must execute the notebook to its last cell and
serve the page with the playground's widget (issue 28).
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from browser import CHROMIUM_ARGS, VIEWPORT, ServerProcess, free_port
from notebook_sliders import ROOT, kernel_env, write_kernelspec
from test_sliders_browser import browser  # noqa: F401  (the module's Chromium fixture)

pytestmark = pytest.mark.slow
NOTEBOOK = ROOT / "notebooks" / "08_playground.ipynb"
STATUS = re.compile(r"(?P<model>\w+) on (?P<data>\w+): (?P<state>training|paused), step (?P<step>\d+)(, loss (?P<loss>[-\d.]+))?")
assert CHROMIUM_ARGS  # the flags the fixture launches Chromium with


class Voila(ServerProcess):
    r"""``voila NOTEBOOK`` on a free port of 127.0.0.1, stopped with its kernels on exit."""

    def __init__(self, notebook: Path, workdir: Path, start_timeout_s: float = 180, config: bool = True,
                 extra_args: tuple[str, ...] = ()):
        self.notebook, self.workdir, self.start_timeout_s, self.config = notebook, workdir, start_timeout_s, config
        self.extra_args = list(extra_args)  # more command-line options (test_voila_culling.py: short culling times)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log_path = workdir / "voila.log"

    def __enter__(self) -> Voila:
        env = kernel_env()
        env["JUPYTER_PATH"] = str(write_kernelspec(self.workdir / "jupyter"))
        env["JUPYTER_CONFIG_DIR"] = str(self.workdir / "config")
        env["JUPYTER_RUNTIME_DIR"] = str(self.workdir / "runtime")
        # the command of `make playground`, on a free port and without opening a browser
        command = [sys.executable, "-m", "voila", str(self.notebook), "--no-browser", f"--port={self.port}",
                   "--Voila.ip=127.0.0.1", "--Voila.port_retries=0", "--theme=light"]
        if self.config:
            command.append(f"--Voila.config_file_paths={ROOT / 'scripts' / 'voila_config'}")
        command += self.extra_args
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT, env=env,
                                        cwd=self.notebook.parent, start_new_session=True)
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"voila exited with {self.process.returncode}:\n{self.log_tail()}")
            try:  # listening; the page itself runs the notebook first, which the test waits for
                socket.create_connection(("127.0.0.1", self.port), timeout=5).close()
                return self
            except OSError:
                time.sleep(0.5)
        self.__exit__()
        raise RuntimeError(f"voila did not answer within {self.start_timeout_s} s:\n{self.log_tail()}")


def _status(page) -> dict:
    text = page.locator(".flowlib-playground .widget-html").last.inner_text()
    match = STATUS.search(text)
    assert match, f"status line {text!r}"
    return {**match.groupdict(), "step": int(match["step"]), "text": text}


def _image(page) -> str:
    return page.locator(".flowlib-playground img").first.get_attribute("src") or ""


def _until(predicate, timeout_s: float, what: str, page):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what} within {timeout_s} s; status: {_status(page)['text']!r}")


def test_playground_page_trains_pauses_and_switches(browser, tmp_path, capsys):  # noqa: F811
    with Voila(NOTEBOOK, tmp_path) as voila:
        context = browser.new_context(viewport={**VIEWPORT, "width": 1400})
        page = context.new_page()
        try:
            start = time.monotonic()
            page.goto(voila.url, timeout=180_000)
            page.wait_for_selector(".flowlib-playground img", timeout=180_000)
            loaded = time.monotonic() - start
            assert page.locator("text=Traceback").count() == 0, voila.log_tail()
            before, image = _status(page), _image(page)
            assert before["state"] == "paused" and before["step"] == 0

            clicked = time.monotonic()
            page.get_by_role("button", name="Train").click()
            first = _until(lambda: _image(page) != image, 10, "a first frame after Train", page)
            first_s = time.monotonic() - clicked
            assert first
            early = _until(lambda: (s := _status(page))["loss"] and s, 10, "a loss on the status line", page)
            fell = _until(lambda: (s := _status(page))["loss"] and float(s["loss"]) < float(early["loss"]) - 0.2 and s,
                          30, "the loss falling by 0.2 nats", page)
            assert fell["state"] == "training" and fell["step"] > early["step"]

            page.get_by_role("button", name="Pause").click()
            paused = _until(lambda: (s := _status(page))["state"] == "paused" and s, 5, "the page paused", page)
            time.sleep(0.5)
            still, still_image = _status(page), _image(page)
            time.sleep(2.0)
            assert _status(page)["step"] == still["step"] >= paused["step"] and _image(page) == still_image

            page.locator(".flowlib-playground select").first.select_option("MAF")
            switched = _until(lambda: (s := _status(page))["model"] == "MAF" and s, 10, "the switch to MAF", page)
            assert switched["step"] == 0 and page.locator("text=Traceback").count() == 0
            page.get_by_role("button", name="Train").click()
            _until(lambda: _status(page)["step"] > 0, 10, "MAF training", page)
            page.get_by_role("button", name="Pause").click()
            out = ROOT / "test-artifacts" / "browser"
            out.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out / "playground.png"))
        finally:
            context.close()
    with capsys.disabled():
        print(f"\nbrowser playground: page loaded in {loaded:.1f} s, first frame {first_s:.2f} s after Train, "
              f"loss {early['loss']} -> {fell['loss']} by step {fell['step']}")


def test_voila_without_our_config_serves_the_playground(tmp_path, capsys):
    with Voila(NOTEBOOK, tmp_path, config=False) as voila:
        start = time.monotonic()
        # Voilà answers once it has executed every cell: a stalled cell would hold the page until its timeout
        page = urllib.request.urlopen(voila.url, timeout=600).read().decode()
        seconds = time.monotonic() - start
        log = voila.log_tail()
    assert "Traceback" not in page, log
    assert page.count("application/vnd.jupyter.widget-view+json") == 1, "the playground's widget is not on the page"
    assert re.search(r"mean NLL of the first 20 steps [-\d.]+ nats", page), "the last code cell's output is missing"
    with capsys.disabled():
        print(f"\nplain voila (no config file): the playground page served in {seconds:.1f} s")
