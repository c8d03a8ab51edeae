r"""JupyterLab in a real browser, for the slider tests (``test_sliders_browser.py``).

``JupyterLab`` starts a server on 127.0.0.1 (a free port, a random token, a temporary root holding
copies of the notebooks, temporary settings with ``autoStartDefaultKernel`` and no windowing, a
``python3`` kernelspec for this very Python). ``check_notebook`` drives one notebook in Python
Playwright with Debian's chromium: open, clear outputs, run all, look for error outputs, count the
rendered sliders against the kernel's own list, move one slider by keyboard and by dragging, and time
the key press to the new image. What was learned about each step is in ``../shared/NOTEBOOK-TESTING.md``
(in the course workspace).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from notebook_sliders import PROBE, kernel_env, write_kernelspec

HOW_TO_ENABLE = ("the browser tests need Chromium and Python Playwright: `apt-get install chromium` (Debian/Ubuntu) "
                 "or set CHROMIUM=/path/to/chrome, and `pip install -r requirements.txt`")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
VIEWPORT = {"width": 1280, "height": 960}
KEY_PRESSES = 5  # timed key presses on one slider; the report gives their median


def find_chromium() -> str | None:
    """The Chromium to drive: ``$CHROMIUM`` if set, else the first of chromium, chromium-browser,
    google-chrome on PATH; None if there is none (or ``$CHROMIUM`` names no file)."""
    if os.environ.get("CHROMIUM"):
        return os.environ["CHROMIUM"] if Path(os.environ["CHROMIUM"]).is_file() else None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def unavailable(reason: str):
    """Skip a browser test that cannot run here, saying how to enable it; with ``CI=true``, fail instead."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and {reason}: {HOW_TO_ENABLE}", pytrace=False)
    pytest.skip(f"{reason}: {HOW_TO_ENABLE}")


@contextlib.contextmanager
def chromium():
    """A headless Chromium driven by Python Playwright (for a module-scoped ``browser`` fixture); without
    Chromium or Playwright, ``unavailable``."""
    path = find_chromium()
    if path is None:
        unavailable("no Chromium was found")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Python Playwright is not installed")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        try:
            yield instance
        finally:
            instance.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    """A server started in its own process group (``self.process``, logging to ``self.log_path``): JupyterLab
    here, Voilà in test_playground_browser.py. Leaving the ``with`` block stops it with the kernels it started."""

    def __exit__(self, *exc) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # the server and the kernels it started
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log.close()

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


class JupyterLab(ServerProcess):
    r"""A JupyterLab server for ``root``, with its settings, kernelspec and log under ``workdir``.

    Use as a context manager; ``url(path)`` is a page's address with the token. The server runs in
    its own process group, stopped (and with it its kernels) on exit.
    """

    def __init__(self, root: Path, workdir: Path, start_timeout_s: float = 180):
        self.root, self.workdir, self.start_timeout_s = root, workdir, start_timeout_s
        self.port = free_port()
        self.token = os.urandom(24).hex()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "jupyterlab.log"

    def url(self, path: str) -> str:
        return f"{self.base}/{path}?token={self.token}"

    def __enter__(self) -> JupyterLab:
        settings = self.workdir / "settings"
        for plugin, values in {
            # no "Select Kernel" dialog (it made run-all hang); every cell in the DOM for the counts below
            "@jupyterlab/notebook-extension/tracker": {"autoStartDefaultKernel": True, "windowingMode": "none"},
            # no news or update toast over the notebook (the test machine is offline anyway)
            "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
        }.items():
            path = settings / f"{plugin}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        env = kernel_env()
        env["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(write_kernelspec(self.workdir / "jupyter")),
                                                          env.get("JUPYTER_PATH", "")) if p)
        env["JUPYTER_CONFIG_DIR"] = str(self.workdir / "config")  # no user configuration
        env["JUPYTER_RUNTIME_DIR"] = str(self.workdir / "runtime")
        command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
                   f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
                   f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root}",
                   f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={self.workdir / 'workspaces'}",
                   "--LabApp.expose_app_in_browser=True"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")
        self._log = open(self.log_path, "w")  # closed in __exit__
        self.process = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT, env=env,
                                        cwd=self.root, start_new_session=True)
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.__exit__(None, None, None)
                raise RuntimeError(f"JupyterLab exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url("api/status"), timeout=5) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.5)
        self.__exit__(None, None, None)
        raise RuntimeError(f"JupyterLab did not answer within {self.start_timeout_s} s:\n{self.log_tail()}")


# --- what runs in the page ----------------------------------------------------------------------

JS_READY = """(name) => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const kernel = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!(w && w.context && w.context.isReady && w.context.path.endsWith(name) && w.content
            && kernel && kernel.status === 'idle');
}"""

JS_CODE_CELLS = """
  const panel = window.jupyterapp.shell.currentWidget;
  const cells = [];
  for (let i = 0; i < panel.content.model.cells.length; i++) {
    const cell = panel.content.model.cells.get(i);
    if (cell.type !== 'code') continue;
    const tags = (cell.getMetadata ? cell.getMetadata('tags') : cell.metadata.get('tags')) || [];
    cells.push({index: i, cell, tags, empty: cell.sharedModel.getSource().trim() === ''});
  }
"""

JS_CLEAR = "() => { window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs'); }"

JS_RUN_ALL = "() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }"  # not awaited

JS_STATE = """() => {""" + JS_CODE_CELLS + """
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const errors = [];
  for (const c of cells) {
    for (const o of c.cell.outputs.toJSON()) {
      if (o.output_type === 'error' && !c.tags.includes('raises-exception')) {
        errors.push(`cell ${c.index}: ${o.ename}: ${o.evalue}`);
      }
    }
  }
  return {status: kernel ? kernel.status : 'none', errors,
          unrun: cells.filter(c => !c.empty && c.cell.executionCount === null).map(c => c.index),
          counted: cells.filter(c => c.cell.executionCount !== null).length};
}"""

TRACEBACK = r"/Traceback \(most recent call last\)|^\s*[A-Za-z_.]*(Error|Exception)\b/m"  # a JS regex literal

JS_WIDGETS = """() => {
  const panel = window.jupyterapp.shell.currentWidget.node;
  const interacts = [...panel.querySelectorAll('.flowlib-demo')];  // Demo.show's boxes (Shown)
  interacts.forEach((el, i) => el.setAttribute('data-st-interact', String(i)));
  const broken = [...panel.querySelectorAll('.jupyter-widgets')]
    .filter(el => (el.textContent || '').startsWith('Error displaying widget')).length
    + panel.querySelectorAll('.jupyter-widgets-error-widget').length;
  return {broken, interacts: interacts.map(el => ({
    controls: [...el.children].filter(c => !c.classList.contains('widget-image')
                                           && !c.classList.contains('flowlib-demo-error')).map(c => ({
      label: (c.querySelector('.widget-label') || {}).textContent || '',
      handle: !!c.querySelector('.noUi-handle'), visible: c.getBoundingClientRect().width > 0})),
    images: [...el.querySelectorAll('img.widget-image')].filter(img => img.src).length,
    errors: [...el.querySelectorAll('.flowlib-demo-error')].map(o => o.textContent || '')
      .filter(t => TRACEBACK.test(t)).map(t => t.slice(0, 400))}))};
}""".replace("TRACEBACK", TRACEBACK)

JS_KERNEL_RUN = """async (code) => {
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  const future = kernel.requestExecute({code, silent: false, store_history: false});
  let out = '', err = '';
  future.onIOPub = (msg) => {
    if (msg.header.msg_type === 'stream' && msg.content.name === 'stdout') out += msg.content.text;
    if (msg.header.msg_type === 'error') err += `${msg.content.ename}: ${msg.content.evalue}`;
  };
  await future.done;
  return {out, err};
}"""

# Arm a watch on interact `i`: the time of the next key press, the time its image changes, and the
# kernel's busy/idle transitions (to tell "no new image" from "not done yet").
JS_ARM = """(i) => {
  const el = document.querySelector(`[data-st-interact="${i}"]`);
  const img = el.querySelector('img.widget-image');
  const before = img ? img.src : null;
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  const st = window.__st = {before, key: null, image: null, busy: false, idleAt: null};
  document.addEventListener('keydown', () => { if (st.key === null) st.key = performance.now(); },
                            {capture: true, once: true});
  const observer = new MutationObserver(() => {
    const now = el.querySelector('img.widget-image');
    if (now && now.src !== before && st.image === null) st.image = performance.now();
  });
  observer.observe(el, {subtree: true, childList: true, attributes: true, attributeFilter: ['src']});
  st.stop = () => { observer.disconnect(); kernel.statusChanged.disconnect(st.onStatus); };
  st.onStatus = (_, status) => {
    if (status === 'busy') { st.busy = true; st.idleAt = null; }
    if (status === 'idle') st.idleAt = performance.now();
  };
  kernel.statusChanged.connect(st.onStatus);
  return before !== null;
}"""

JS_WATCH = """() => { const st = window.__st;
  return {key: st.key, image: st.image, busy: st.busy, now: performance.now(), idleAt: st.idleAt,
          changed: st.image !== null}; }"""

JS_HANDLE = """([i, c]) => {
  const control = document.querySelector(`[data-st-interact="${i}"]`).children[c];
  const handle = control.querySelector('.noUi-handle');
  const track = control.querySelector('.noUi-target').getBoundingClientRect();
  const box = handle.getBoundingClientRect();
  const now = parseFloat(handle.getAttribute('aria-valuenow'));
  const max = parseFloat(handle.getAttribute('aria-valuemax'));
  return {x: box.x + box.width / 2, y: box.y + box.height / 2, left: track.x, right: track.x + track.width,
          atMax: Number.isFinite(now) && Number.isFinite(max) && now >= max};
}"""


@dataclass
class BrowserReport:
    """What one notebook did in JupyterLab."""

    notebook: str
    run_seconds: float = float("nan")
    widgets: int = 0
    sliders: int = 0
    key_to_image_ms: float | None = None  # the median of key_presses_ms
    key_presses_ms: list[float] = field(default_factory=list)  # each key press to its new image
    moved: str = ""  # "interact i, control c (label)" of the slider that was moved
    problems: list[str] = field(default_factory=list)
    then: str = ""  # what check_notebook's ``then`` said


def check_notebook(browser, lab: JupyterLab, name: str, screenshot: Path, run_timeout_s: float = 600,
                   idle_settle_s: float = 2.0, then=None) -> BrowserReport:
    r"""Open ``name`` (a path under the lab's root) in a new page, run all, check outputs and sliders,
    move one slider by keyboard and by dragging, save ``screenshot``; then, while the kernel still runs,
    ``then(context, page, problems) -> str`` if given (the live slides: ``live_slides.py``). Problems are
    collected in the report (a test asserts there are none); a page that never gets ready raises."""
    report = BrowserReport(name)
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        workspace = "st-" + Path(name).stem.replace(".", "-")  # a fresh workspace: nothing else reopens
        page.goto(lab.url(f"lab/workspaces/{workspace}/tree/{name}"))
        page.wait_for_function(JS_READY, arg=Path(name).name, timeout=180_000, polling=250)
        run_all(page, report, run_timeout_s)
        report.problems += [f"error output, {error}" for error in page.evaluate(JS_STATE)["errors"]]
        expected = _kernel_widgets(page, report)
        found = page.evaluate(JS_WIDGETS)
        _check_rendered(report, expected, found)
        page.evaluate("() => window.jupyterapp.shell.collapseLeft()")  # more notebook in the screenshot
        if found["interacts"]:
            page.evaluate("() => document.querySelector('[data-st-interact=\"0\"]').scrollIntoView({block: 'center'})")
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot))
        if found["interacts"]:
            _move_one_slider(page, report, found, idle_settle_s)
            after = page.evaluate(JS_WIDGETS)
            for i, interact in enumerate(after["interacts"]):
                report.problems += [f"widget {i}: error after moving a slider: {e}" for e in interact["errors"]]
            report.problems += [f"error output after moving a slider, {e}" for e in page.evaluate(JS_STATE)["errors"]]
        if then is not None:
            report.then = then(context, page, report.problems)
    finally:
        try:
            page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")
        except Exception:  # the page may be gone; the server's exit stops the kernel anyway
            pass
        context.close()
    return report


def run_all(page, report: BrowserReport, timeout_s: float) -> None:
    page.evaluate(JS_CLEAR)
    page.wait_for_function("() => {" + JS_CODE_CELLS + " return cells.every(c => c.cell.executionCount === null); }",
                           polling=100)
    start = time.monotonic()
    page.evaluate(JS_RUN_ALL)
    stable = 0
    while time.monotonic() - start < timeout_s:
        state = page.evaluate(JS_STATE)
        done = state["status"] == "idle" and (state["errors"] or not state["unrun"])
        stable = stable + 1 if done else 0
        if stable >= 3:  # three polls in a row, 0.5 s apart: not a pause between two queued cells
            report.run_seconds = time.monotonic() - start
            return
        time.sleep(0.5)
    raise TimeoutError(f"{report.notebook}: run all did not finish in {timeout_s:.0f} s (the budget is 60 s on 2 idle "
                       f"cores; SLIDER_TEST_TIMEOUT_S raises the limit); code cells not run yet: {state['unrun']}")


def _kernel_widgets(page, report: BrowserReport) -> list[dict]:
    r"""The Demo widgets as the kernel knows them (``demo_harness.shown()``): names and sliders."""
    result = page.evaluate(JS_KERNEL_RUN, PROBE + "\n_st_controls()")
    if result["err"]:
        report.problems.append(f"listing the widgets in the kernel failed: {result['err']}")
        return []
    return json.loads(result["out"])


def _check_rendered(report: BrowserReport, expected: list[dict], found: dict) -> None:
    interacts = found["interacts"]
    report.widgets = len(interacts)
    report.sliders = sum(c["handle"] for interact in interacts for c in interact["controls"])
    if found["broken"]:
        report.problems.append(f"{found['broken']} widgets show 'Error displaying widget'")
    if len(interacts) != len(expected):
        report.problems.append(f"the kernel built {len(expected)} Demo widgets ({[w['name'] for w in expected]}), "
                               f"the page shows {len(interacts)} demo widgets")
    for i, (want, got) in enumerate(zip(expected, interacts)):
        name = f"widget {i} ({want['name']})"
        if len(got["controls"]) != len(want["sliders"]):
            report.problems.append(f"{name}: the kernel has sliders {want['descriptions']}, "
                                   f"the page shows {[c['label'] for c in got['controls']]}")
        hidden = [c["label"] for c in got["controls"] if not c["visible"]]
        if hidden:
            report.problems.append(f"{name}: sliders not rendered: {hidden}")
        if got["images"] != 1 or got["errors"]:
            report.problems.append(f"{name}: {got['images']} images drawn (expected 1), errors {got['errors']}")


def _wait_for_image(page, idle_settle_s: float, settle_after_image_s: float = 0.3, timeout_s: float = 60) -> dict:
    r"""Wait until the armed widget shows a new image and the kernel has been idle for
    ``settle_after_image_s``, or until the kernel was busy and has been idle for ``idle_settle_s`` with
    no new image (or nothing reached it in 10 s)."""
    start = time.monotonic()
    while time.monotonic() - start < timeout_s:
        watch = page.evaluate(JS_WATCH)
        idle_for = (watch["now"] - watch["idleAt"]) / 1000 if watch["idleAt"] is not None else 0.0
        if watch["busy"] and idle_for >= (settle_after_image_s if watch["changed"] else idle_settle_s):
            return watch
        if not watch["busy"] and time.monotonic() - start > 10:
            return watch  # the move never reached the kernel
        time.sleep(0.05)
    return page.evaluate(JS_WATCH)


def _press(page, i: int, key: str, idle_settle_s: float) -> dict:
    r"""Press ``key`` on the focused slider of interact ``i`` and watch for its new image (``JS_WATCH``'s dict)."""
    page.evaluate(JS_ARM, i)
    page.keyboard.press(key)
    watch = _wait_for_image(page, idle_settle_s)
    page.evaluate("() => window.__st.stop()")
    return watch


def _move_one_slider(page, report: BrowserReport, found: dict, idle_settle_s: float) -> None:
    r"""Move the first slider whose keyboard step changes the image: by ArrowRight (ArrowLeft at the
    maximum), then back and forth, ``KEY_PRESSES`` presses, timing each key press to its new image; then
    by dragging the handle 30% of the track."""
    tried = []
    for i, interact in enumerate(found["interacts"]):
        for c, control in enumerate(interact["controls"]):
            if not control["handle"] or len(tried) >= 4:
                continue
            where = f"widget {i}, slider {control['label']!r}"
            tried.append(where)
            handle_selector = f'[data-st-interact="{i}"] > :nth-child({c + 1}) .noUi-handle'
            box = page.evaluate(JS_HANDLE, [i, c])
            page.locator(handle_selector).focus()
            forward, back = ("ArrowLeft", "ArrowRight") if box["atMax"] else ("ArrowRight", "ArrowLeft")
            watch = _press(page, i, forward, idle_settle_s)
            if not watch["changed"]:
                continue
            report.moved = where
            # KEY_PRESSES presses in all, back and forth between the same two values: one time is noisy
            watches = [watch]
            for press in range(1, KEY_PRESSES):
                watch = _press(page, i, back if press % 2 else forward, idle_settle_s)
                if not watch["changed"] or watch["key"] is None:
                    report.problems.append(f"{where}: key press {press + 1} of {KEY_PRESSES} did not change the image")
                    break
                watches.append(watch)
            report.key_presses_ms = [w["image"] - w["key"] for w in watches if w["key"] is not None]
            if report.key_presses_ms:
                report.key_to_image_ms = statistics.median(report.key_presses_ms)
            box = page.evaluate(JS_HANDLE, [i, c])
            room_right = box["x"] < (box["left"] + box["right"]) / 2
            target = box["x"] + (0.3 if room_right else -0.3) * (box["right"] - box["left"])
            page.evaluate(JS_ARM, i)
            page.mouse.move(box["x"], box["y"])
            page.mouse.down()
            page.mouse.move(target, box["y"], steps=8)
            page.mouse.up()
            # a drag sends several values (continuous_update): let the last redraw finish before checking
            watch = _wait_for_image(page, idle_settle_s, settle_after_image_s=idle_settle_s)
            page.evaluate("() => window.__st.stop()")
            if not watch["changed"]:
                report.problems.append(f"{where}: dragging the handle did not change the image")
            return
    report.problems.append(f"no slider changed the image by one keyboard step (tried {tried or 'none: no slider'})")
