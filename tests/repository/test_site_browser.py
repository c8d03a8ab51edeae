r"""The course as a website (``scripts/build_site.py``, ``make site``), opened page by page in Chromium.

The fixture builds the site (Sphinx reuses its cache: a few seconds when nothing changed, about 25 s
from scratch here), serves ``build/site/html`` on 127.0.0.1 and opens the landing page and every
notebook's page, each in a fresh browser context (nothing cached, so what it loads is the page's
weight), with every request to another host refused: the site must work offline. Per page it checks:

- no console error and no uncaught exception (a missing file, a script from a CDN, a theme error);
- every image loaded (``naturalWidth > 0``): the stills of the sliders, the plots, the README's figures;
- every formula typeset by the local MathJax (each Sphinx ``.math`` element holds MathJax's output, none
  holds a MathJax error) and no raw ``$...$``, ``\(`` or ``\[`` left in the text outside code;
- every link into the site resolves: the file exists, and its ``#anchor`` is an id in it;
- the Binder and Colab launch links of a notebook's page open that notebook.

Then: the navigation lists the pages in the slides' order (the notebooks' names) with the landing page
first, and each "§ section" of the course map is in its page's table of contents; search finds
"Jacobian"; the exercise solutions are folded; the playground page says it needs a kernel and links
to Binder. It prints each notebook page's weight. ``SITE_SCREENSHOTS=DIR`` also saves the landing
page, a notebook page at a phone's width and a search as PNGs into DIR.
"""

from __future__ import annotations

import functools
import html
import http.server
import os
import re
import sys
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = next(parent for parent in Path(__file__).resolve().parents if (parent / "pyproject.toml").is_file())
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(next((ROOT / "tests").rglob("browser.py")).parent))  # tests/ or tests/notebooks/
import build_site  # noqa: E402
from browser import chromium, unavailable  # noqa: E402
from colab_cell import repository_slug  # noqa: E402

pytestmark = pytest.mark.slow
PHONE = {"width": 390, "height": 844}

CHECK_PAGE = r"""async () => {
    const waitForImages = () => Promise.all([...document.images].map(img => {
        img.loading = "eager";
        return img.complete ? null : new Promise(done => { img.onload = img.onerror = done; });
    }));
    await waitForImages();
    if (document.querySelector(".math")) {
        for (let i = 0; i < 200 && !(window.MathJax && MathJax.startup && MathJax.startup.promise); i++)
            await new Promise(done => setTimeout(done, 50));
        if (window.MathJax && MathJax.startup) await MathJax.startup.promise;
    }
    const main = document.querySelector("main").cloneNode(true);
    main.querySelectorAll("pre, code, script, style, mjx-container, textarea").forEach(e => e.remove());
    const maths = [...document.querySelectorAll(".math")];
    return {
        images: [...document.images].map(img => ({src: img.currentSrc || img.src, width: img.naturalWidth})),
        raw: main.textContent.match(/\$[^$\n]{1,80}\$|\\\(|\\\[/g) || [],
        maths: maths.length,
        untypeset: maths.filter(m => !m.querySelector("mjx-container")).map(m => m.textContent.slice(0, 80)),
        mathErrors: document.querySelectorAll("mjx-merror").length,
        links: [...document.querySelectorAll("a[href]")].map(a => a.href),
        nav: [...document.querySelectorAll("nav.bd-docs-nav a")].map(a => [a.href, a.textContent.trim()]),
        toc: [...document.querySelectorAll(".bd-toc-nav a, nav.page-toc a")].map(a => a.getAttribute("href")),
        text: document.querySelector("main").innerText,
        solutions: [...document.querySelectorAll("main details")].map(d =>
            ({summary: (d.querySelector("summary") || {}).textContent, open: d.open})),
    };
}"""


def pages() -> list[str]:
    return ["index.html"] + [f"notebooks/{path.stem}.html" for path in build_site.notebook_paths()]


@pytest.fixture(scope="module")
def site() -> Path:
    try:
        import jupyter_book  # noqa: F401
        import sphinx_book_theme  # noqa: F401
    except ImportError:
        unavailable("Jupyter Book is not installed (`make site` installs requirements-site.txt)")
    seconds = build_site.build(quiet=True)
    print(f"site built in {seconds:.1f} s")
    return build_site.HTML


@pytest.fixture(scope="module")
def base_url(site: Path):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser():
    with chromium() as instance:
        yield instance


def open_page(browser, url: str, viewport: dict | None = None, screenshot: Path | None = None,
              wait_for: str | None = None, scroll_to: str | None = None) -> dict:
    """Open ``url`` in a fresh context (offline: other hosts refused); what ``CHECK_PAGE`` found, the
    console errors, the refused requests and the bytes loaded."""
    context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900})
    refused, errors, responses = [], [], []
    local = urlsplit(url).netloc

    def route(handle):
        if urlsplit(handle.request.url).netloc == local:
            handle.continue_()
        else:
            refused.append(handle.request.url)
            handle.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    page.on("response", lambda response: responses.append(response))
    try:
        page.goto(url, wait_until="load")
        found = page.evaluate(CHECK_PAGE)
        page.wait_for_load_state("networkidle")
        if wait_for is not None:
            page.wait_for_selector(wait_for, timeout=30_000)
        if scroll_to is not None:
            page.get_by_text(scroll_to).first.scroll_into_view_if_needed()
        if screenshot is not None:
            page.screenshot(path=str(screenshot))
        sizes = {r.url: len(r.body()) for r in responses if r.ok}
        found.update(errors=errors, refused=refused, bytes=sum(sizes.values()),
                     own_bytes=sum(size for u, size in sizes.items() if u.split("?")[0] == url or "/_images/" in u),
                     statuses=[(r.status, r.url) for r in responses if not r.ok])
        return found
    finally:
        context.close()


@pytest.fixture(scope="module")
def visits(site: Path, base_url: str, browser) -> dict[str, dict]:
    return {name: open_page(browser, base_url + name) for name in pages()}


def test_pages_load_offline_without_errors(visits):
    problems = {name: {key: found[key] for key in ("errors", "refused", "statuses") if found[key]}
                for name, found in visits.items()}
    assert {name: p for name, p in problems.items() if p} == {}


def test_every_image_loads(visits):
    broken = {name: [img["src"] for img in found["images"] if img["width"] == 0] for name, found in visits.items()}
    assert {name: srcs for name, srcs in broken.items() if srcs} == {}
    assert all(len(found["images"]) > 0 for found in visits.values())  # the README's figures, the notebooks' plots


def test_math_is_typeset_from_the_local_mathjax(visits):
    for name, found in visits.items():
        assert found["maths"] > 0, f"{name}: no formula found (was math parsed?)"
        assert found["untypeset"] == [] and found["mathErrors"] == 0, name
        assert found["raw"] == [], f"{name}: raw TeX in the text: {found['raw'][:5]}"


def test_every_internal_link_resolves(visits, site: Path, base_url: str):
    ids: dict[Path, set[str]] = {}
    broken = []
    for name, found in visits.items():
        for link in found["links"]:
            if not link.startswith(base_url):
                continue
            parts = urlsplit(link)
            target = site / unquote(parts.path.lstrip("/"))
            target = target / "index.html" if target.is_dir() else target
            if not target.is_file():
                broken.append(f"{name} -> {link} (no such file)")
            elif parts.fragment and target.suffix == ".html":
                if target not in ids:
                    ids[target] = {html.unescape(i) for i in re.findall(r'\bid="([^"]+)"', target.read_text(encoding="utf-8"))}
                if unquote(parts.fragment) not in ids[target]:
                    broken.append(f"{name} -> {link} (no such anchor)")
    assert broken == []


def test_notebook_pages_launch_binder_and_colab(visits):
    slug = repository_slug()
    for path in build_site.notebook_paths():
        links = visits[f"notebooks/{path.stem}.html"]["links"]
        assert f"https://mybinder.org/v2/gh/{slug}/main?urlpath=lab/tree/notebooks/{path.name}" in links
        assert f"https://colab.research.google.com/github/{slug}/blob/main/notebooks/{path.name}" in links


def test_navigation_follows_the_slides(visits, base_url: str):
    nav = visits["index.html"]["nav"]
    assert [href.removeprefix(base_url).removesuffix("#") for href, _ in nav] == pages()
    assert all(title.startswith(Path(page).stem[:2]) for (_, title), page in zip(nav[1:], pages()[1:]))
    # each "§ section" of the course map links to that section of its page, which its table of contents lists
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    course_map = readme.split("<!-- BEGIN course map -->")[1].split("<!-- END course map -->")[0]
    sections = [link.removeprefix(base_url) for link in visits["index.html"]["links"]
                if link.startswith(base_url + "notebooks/") and "#" in link]
    assert len(sections) == course_map.count("§") - 1 >= 14  # the header's "Notebook § section" is no link
    for link in sections:
        page, anchor = link.split("#", 1)
        assert "#" + anchor in visits[page]["toc"], f"the course map's {link} is not in {page}'s contents"


def test_solutions_stay_folded(visits):
    """Every folded solution or hint of a notebook (a ``<details>`` block) is folded on its page too."""
    import nbformat

    for path in build_site.notebook_paths():
        folded = sum(cell.source.count("<details>") for cell in nbformat.read(path, as_version=4).cells
                     if cell.cell_type == "markdown")
        found = visits[f"notebooks/{path.stem}.html"]["solutions"]
        assert len(found) == folded, path.name
        assert not any(s["open"] for s in found), path.name
    assert sum(s["summary"].strip() == "Solution" for found in visits.values() for s in found["solutions"]) >= 20


def test_the_playground_page_says_it_needs_a_kernel(visits):
    found = visits["notebooks/08_playground.html"]
    assert "needs a running kernel" in found["text"]
    binder = f"https://mybinder.org/v2/gh/{repository_slug()}/main?urlpath=lab/tree/notebooks/08_playground.ipynb"
    assert found["links"].count(binder) >= 2  # the note, and the launch menu
    assert "VBox(children" not in found["text"]  # the widget's repr is not shown


def test_search_finds_jacobian(site: Path, base_url: str, browser):
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(base_url + "search.html?q=Jacobian")
        page.wait_for_selector("#search-results ul.search li", timeout=30_000)
        results = page.eval_on_selector_all("#search-results ul.search li a", "links => links.map(a => a.href)")
        # the formulas the results quote are typeset too (the site's MathJax, loaded by search-math.js)
        page.wait_for_selector("#search-results p.context mjx-container", timeout=30_000)
    finally:
        context.close()
    assert base_url + "notebooks/02_jacobians.html" in {r.split("#")[0] for r in results}


def test_report_page_weights(visits, capsys):
    with capsys.disabled():
        print("\nsite page weights: the page's own (its HTML and images), and all it loads with nothing cached "
              "(with the theme's scripts, styles and fonts and MathJax, which later pages take from the cache):")
        for name, found in visits.items():
            html_bytes = (build_site.HTML / name).stat().st_size
            print(f"  {name:40s} {html_bytes / 1e3:4.0f} kB HTML + {len(found['images']):2d} images = "
                  f"{found['own_bytes'] / 1e6:4.2f} MB own, {found['bytes'] / 1e6:4.2f} MB in all")
    assert all(found["bytes"] < 20e6 for found in visits.values())


def test_screenshots(site: Path, base_url: str, browser):
    """With ``SITE_SCREENSHOTS=DIR``: the landing page, notebook 01 at a phone's width (its top, and its
    first slider's still), and a search."""
    folder = os.environ.get("SITE_SCREENSHOTS")
    if not folder:
        pytest.skip("set SITE_SCREENSHOTS=DIR to save screenshots")
    Path(folder).mkdir(parents=True, exist_ok=True)
    open_page(browser, base_url + "index.html", screenshot=Path(folder) / "landing.png")
    open_page(browser, base_url + "notebooks/01_change_of_variables.html", viewport=PHONE,
              screenshot=Path(folder) / "notebook_phone.png")
    open_page(browser, base_url + "notebooks/01_change_of_variables.html", viewport=PHONE,
              screenshot=Path(folder) / "notebook_phone_still.png", scroll_to="A still at")
    open_page(browser, base_url + "search.html?q=Jacobian", screenshot=Path(folder) / "search.png",
              wait_for="#search-results ul.search li")
