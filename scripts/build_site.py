r"""Build the course as a static website from the committed notebooks, without running them.

    python scripts/build_site.py          # (make site) stage build/site/src, then write build/site/html
    python scripts/build_site.py --clean  # the same from scratch (no cached pages)

The tool is Jupyter Book 1 (Sphinx with myst-nb and sphinx-book-theme, pinned in requirements-site.txt):
pure Python from PyPI, so the course's own virtual environment builds the site, with no Node.js. Each
notebook page shows what the notebook stores: the stills of its sliders (``scripts/offline_outputs.py``
made them when the notebook was run), the closing lines of its training cells, its solutions folded
under ``<details>``. Nothing is executed.

What the staging step writes into ``build/site/src`` (only files whose content changed, so that
Sphinx rebuilds only the pages that changed):

- ``index.md``, the landing page: README.md's introduction, its figures and its course map (the slides'
  sections in order, linking to the pages), with the Binder and Colab badges as plain links (the badge
  images live on other hosts: an offline reader, or the test machine, could not load them).
- ``notebooks/NN_x.ipynb``, every notebook of ``notebooks/`` whose name starts with two digits, in the
  order of their names (that is the slides' order: 01 ... 04, 04b, 05 ... 08). Each is a copy with the
  Colab install cell hidden (the page's launch menu opens Colab), widget views with stored state turned
  into their stills (``offline_outputs``), and any widget left without a still, or the line under a live
  widget's still (the playground: it is live), replaced by a note that the page needs a kernel, with a link to
  Binder; a note at the top says so too.
- ``docs/*.png``, the README's figures; ``_toc.yml`` (the pages; the navigation lists each page's
  sections, which are named after the slides' sections) and ``_config.yml`` (launch buttons for Binder
  and Colab from pyproject.toml's repository address, MathJax from a local copy, no execution).

Then ``jupyter-book config sphinx`` turns the two YAML files into ``conf.py`` and Sphinx writes the
HTML into ``build/site/html`` (git-ignored, under ``build/``); open ``build/site/html/index.html``.
"""

from __future__ import annotations

import argparse
import copy
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from colab_cell import BRANCH, ROOT, repository_slug, repository_url  # noqa: E402
from offline_outputs import LIVE_CAPTION, WIDGET_STATE, WIDGET_VIEW, offline_outputs  # noqa: E402

SITE = ROOT / "build" / "site"
SRC = SITE / "src"
HTML = SITE / "html"
TITLE = "Normalizing flows: a course companion"
BINDER_BADGE = re.compile(r"\[!\[Binder\]\([^)]*\)\]\(([^)]*)\)")
COLAB_BADGE = re.compile(r"\[!\[Open in Colab\]\([^)]*\)\]\(([^)]*)\)")
NOTEBOOK_LINK = re.compile(r"\]\((notebooks/[0-9][0-9]\w*\.ipynb)\)")
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")
NEEDS_KERNEL = ("This page needs a running kernel: {what} live, and a static page cannot run it. What you see below is "
                "the code and the last run's text. [Open it in Binder]({binder}) (JupyterLab in the browser, nothing "
                "to install), or run `make lab` in a clone.")
# The tab's icon (without one the browser asks for /favicon.ico, a 404 in the console): a Gaussian, and a
# curve it flows into.
FAVICON = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
<path d="M2 28 C8 28 9 6 16 6 S24 28 30 28" fill="none" stroke="#1f77b4" stroke-width="3"/>
<path d="M2 28 C6 28 7 14 11 14 S15 24 18 22 S24 8 30 28" fill="none" stroke="#ff7f0e" stroke-width="2.5"/>
</svg>
"""


# A formula wider than a phone's screen scrolls sideways by itself (MathJax 3 does not break lines): without
# this, the page cut it off at the screen's edge. Folded solutions' "Solution" stands out as a link would.
SITE_CSS = """/* scripts/build_site.py */
mjx-container[jax="CHTML"] { max-width: 100%; overflow-x: auto; overflow-y: hidden; }
mjx-container[jax="CHTML"]:not([display="true"]) { display: inline-block; vertical-align: middle; }
mjx-container[jax="CHTML"][display="true"] { padding: 2px 0; }
/* a folded solution or hint looks like something to click */
main details > summary { cursor: pointer; font-weight: 600; color: var(--pst-color-primary); margin: 0.5em 0; }
"""

# Sphinx's search results quote the pages' text, where a formula is still TeX: \( ... \). Typeset them with
# the site's own MathJax (the search page has no formula of its own, so it does not load MathJax otherwise).
SEARCH_MATH_JS = r"""// scripts/build_site.py: typeset the formulas quoted in search results
(() => {
  const typeset = (results) => {
    results.querySelectorAll("p.context:not(.mathjax_process)").forEach(p => {
      p.classList.add("mathjax_process");
      const last = p.lastChild;  // a quote cut inside a formula: end it before the formula
      if (last && last.nodeType === Node.TEXT_NODE) {
        const open = Math.max(last.data.lastIndexOf("\\("), last.data.lastIndexOf("\\["));
        const closed = Math.max(last.data.lastIndexOf("\\)"), last.data.lastIndexOf("\\]"));
        if (open > closed) last.data = last.data.slice(0, open) + "...";
      }
    });
    if (window.MathJax && MathJax.typesetPromise) {
      MathJax.typesetPromise([results]).catch(() => {});
    } else if (!document.getElementById("search-mathjax")) {
      window.MathJax = {options: {processHtmlClass: "mathjax_process", ignoreHtmlClass: "document"},
                        startup: {typeset: false}};
      const script = document.createElement("script");
      script.id = "search-mathjax";
      script.src = (document.documentElement.dataset.content_root || "") + "_static/mathjax/tex-chtml.js";
      script.onload = () => MathJax.startup.promise.then(() => typeset(results));
      document.head.appendChild(script);
    }
  };
  document.addEventListener("DOMContentLoaded", () => {
    const results = document.getElementById("search-results");
    if (!results) return;
    let timer = null;
    new MutationObserver(records => {
      if (records.some(r => [...r.addedNodes].some(n => n.nodeName === "LI" || n.nodeName === "P"))) {
        clearTimeout(timer);
        timer = setTimeout(() => typeset(results), 200);
      }
    }).observe(results, {childList: true, subtree: true});
  });
})();
"""


def notebook_paths() -> list[Path]:
    """The course notebooks in the slides' order: ``notebooks/NN*.ipynb`` sorted by name (04 before 04b)."""
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]*.ipynb"))


def binder_url(path: str) -> str:
    return f"https://mybinder.org/v2/gh/{repository_slug()}/{BRANCH}?urlpath=lab/tree/{path}"


def write(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` unless it already holds exactly that (keeps Sphinx's cache valid); True if written."""
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True


# ---------------------------------------------------------------- the landing page


def readme_section(text: str, heading: str) -> str:
    """README.md's ``## heading`` section, heading included, up to the next ``## `` heading."""
    match = re.search(rf"^## {re.escape(heading)}\n.*?(?=^## |\Z)", text, flags=re.M | re.S)
    if match is None:
        raise ValueError(f"README.md: expected a section '## {heading}'")
    return match[0]


def landing_page(readme: str) -> str:
    r"""``index.md``: README's title and introduction (up to "Start here"), its figures and its course map,
    with badges as text links and the generated-columns footnote (which points into the README) left out."""
    intro = readme.split("\n## ", 1)[0]
    intro = re.sub(r"<!-- BEGIN binder -->.*?<!-- END binder -->\n*", "", intro, flags=re.S)
    course_map = readme_section(readme, "Course map")
    course_map = course_map.split("<!-- END course map -->")[0] + "<!-- END course map -->\n"
    page = intro.rstrip() + "\n\n" + how_to_read() + "\n\n" + course_map
    page = page.replace("with the badges in its first row", "with the Binder and Colab links in its first row")
    page = link_sections(page)
    page = BINDER_BADGE.sub(r"[Binder](\1)", page)
    page = COLAB_BADGE.sub(r"[Colab](\1)", page)
    return page


def slug(heading: str) -> str:
    r"""The anchor MyST gives a heading (``myst_heading_anchors``): GitHub's slug of its text without the math."""
    from myst_parser.mdit_to_docutils.base import default_slugify

    return default_slugify(re.sub(r"\$[^$]*\$", "", heading.replace(r"\|", "|")))


def link_sections(page: str) -> str:
    r"""In the course map, each "§ heading" after a notebook's link becomes a link to that section of its page."""
    lines = []
    for line in page.splitlines():
        if line.startswith("| ") and "§" in line:
            notebook, parts = None, []
            for part in line.split("<br>"):
                own = NOTEBOOK_LINK.search(part)
                notebook = own[1] if own else notebook
                parts.append(re.sub(r"§\s*(.+?)\s*(?=\s\|(?!\|)|$)",
                                    lambda m, nb=notebook: f"[§ {m[1]}]({nb}#{slug(m[1])})", part, count=1)
                             if notebook else part)
            line = "<br>".join(parts)
        lines.append(line)
    return "\n".join(lines)


def how_to_read() -> str:
    return (
        "## Reading these pages\n\n"
        "Each page is one notebook as it was last run: its code, its printed results and its pictures. "
        "The sliders are shown as stills at their initial setting, and the solutions of the exercises "
        "stay folded (click **Solution**). To move the sliders and do the exercises, run the notebook: "
        "the rocket menu at the top of each page opens it in **Binder** (JupyterLab in the browser, "
        "nothing to install) or **Colab**, or clone the repository and run `make lab` "
        f"([{repository_slug()}]({repository_url()})). Search (the magnifier, or Ctrl+K) looks through every page."
    )


# ---------------------------------------------------------------- the notebooks


def site_notebook(nb, path: str) -> tuple[object, dict]:
    r"""A copy of ``nb`` as its page shows it (see the module docstring) and what was changed."""
    nb = copy.deepcopy(nb)
    counts = {"stills": 0, "live widgets": 0, "colab cell hidden": 0}
    if nb.cells and nb.cells[0].cell_type == "code" and "google.colab" in nb.cells[0].source:
        tags = nb.cells[0].metadata.setdefault("tags", [])
        if "remove-cell" not in tags:
            tags.append("remove-cell")
        counts["colab cell hidden"] = 1
    widgets = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    if widgets:  # a notebook saved with its widget state: each widget's still, as `make notebooks` stores it
        stored = {view["model_id"] for cell in nb.cells for out in cell.get("outputs", [])
                  if (view := out.get("data", {}).get(WIDGET_VIEW))}
        if stored <= set(widgets):
            counts["stills"] = offline_outputs(nb)["stills"]
    nb.metadata.pop("widgets", None)  # no widget JavaScript on the page (it would load from a CDN)
    binder = binder_url(path)
    for cell in nb.cells:
        outputs = []
        for output in cell.get("outputs", []):
            live_still = output.get("output_type") == "stream" and "".join(output.get("text", "")).startswith(
                LIVE_CAPTION.split("{")[0])  # a live widget's still (offline_outputs): its line becomes the note
            if WIDGET_VIEW in output.get("data", {}) or live_still:
                counts["live widgets"] += 1
                text = f"*A live widget: it needs a running kernel. [Open this notebook in Binder]({binder}).*"
                outputs.append(nbformat.v4.new_output("display_data", data={"text/markdown": text}))
            else:
                outputs.append(output)
        if cell.cell_type == "code":
            cell.outputs = outputs
    if counts["live widgets"]:
        title = next((i for i, cell in enumerate(nb.cells) if cell.cell_type == "markdown"
                      and cell.source.lstrip().startswith("# ")), 0)
        what = "its widget trains a model" if "playground" in path else "its widgets run"
        note = f":::{{admonition}} A kernel is needed\n:class: important\n{NEEDS_KERNEL.format(what=what, binder=binder)}\n:::"
        nb.cells.insert(title + 1, nbformat.v4.new_markdown_cell(note))
    return nb, counts


# ---------------------------------------------------------------- the book's configuration


# Appended to the conf.py that `jupyter-book config sphinx` writes. Thebe (running cells on the page through
# Binder) is off, yet Jupyter Book and sphinx-book-theme would each add its script: the page would declare
# THEBE_JS_URL twice (an uncaught error in the console) and name a CDN. The launch menu opens Binder instead.
CONF_AFTER = """
# scripts/build_site.py: no Thebe (see CONF_AFTER there)
extensions = [name for name in extensions if name != "sphinx_thebe"]
"""


def config(title: str) -> dict:
    return {
        "title": title,
        "author": "22-808 Generative models, Sharif University of Technology",
        "copyright": "",
        "only_build_toc_files": True,
        "execute": {"execute_notebooks": "off"},
        "repository": {"url": repository_url(), "branch": BRANCH, "path_to_book": ""},
        "launch_buttons": {"binderhub_url": "https://mybinder.org", "colab_url": "https://colab.research.google.com",
                           "notebook_interface": "jupyterlab"},
        "html": {"favicon": "favicon.svg", "use_repository_button": True, "use_issues_button": False,
                 "use_edit_page_button": False, "home_page_in_navbar": True, "extra_footer": ""},
        "parse": {"myst_enable_extensions": ["dollarmath", "amsmath", "colon_fence", "html_image"]},
        "sphinx": {
            "extra_extensions": ["sphinx-mathjax-offline"],
            "recursive_update": True,  # add to the theme options Jupyter Book sets (launch buttons), not replace them
            "config": {
                # the search field once, in the sidebar (PyData's default would add a second one in a header bar)
                "html_theme_options": {"navbar_persistent": [], "show_navbar_depth": 1, "show_toc_level": 2},
                "html_context": {"default_mode": "light"},  # the figures are black on white
                "html_static_path": ["_static"],
                "html_css_files": ["site.css"],
                "html_js_files": ["search-math.js"],

                "mathjax_path": "mathjax/tex-chtml.js",  # copied into _static by sphinx-mathjax-offline: no CDN
                "nb_ipywidgets_js": {},  # no widget JavaScript from a CDN: the widgets are stills
                "nb_merge_streams": True,
                "myst_heading_anchors": 3,  # the course map links to the notebooks' sections
                "html_show_copyright": False,
                "html_last_updated_fmt": None,
                "suppress_warnings": ["myst.header"],  # notebooks open with "# NN · title" then "###" is fine
            },
        },
    }


def toc(pages: list[str]) -> dict:
    return {"format": "jb-book", "root": "index", "defaults": {"titlesonly": False},
            "parts": [{"caption": "Notebooks, in the slides' order", "chapters": [{"file": page} for page in pages]}]}


def stage() -> dict[str, dict]:
    """Write the book's sources into ``SRC``; returns what was changed in each notebook."""
    import yaml

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    expected = {"index.md", "_config.yml", "_toc.yml", "conf.py"}
    write(SRC / "index.md", landing_page(readme))
    for image in IMAGE.findall(readme):
        if not re.match(r"https?://", image):
            expected.add(image)
            target = SRC / image
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists() or target.read_bytes() != (ROOT / image).read_bytes():
                shutil.copyfile(ROOT / image, target)
    report, pages = {}, []
    for path in notebook_paths():
        relative = path.relative_to(ROOT).as_posix()
        nb, report[path.name] = site_notebook(nbformat.read(path, as_version=4), relative)
        write(SRC / relative, nbformat.writes(nb) + "\n")
        expected.add(relative)
        pages.append(relative.removesuffix(".ipynb"))
    write(SRC / "favicon.svg", FAVICON)
    write(SRC / "_static" / "site.css", SITE_CSS)
    write(SRC / "_static" / "search-math.js", SEARCH_MATH_JS)
    expected |= {"favicon.svg", "_static/site.css", "_static/search-math.js"}
    write(SRC / "_config.yml", yaml.safe_dump(config(TITLE), sort_keys=False, allow_unicode=True))
    write(SRC / "_toc.yml", yaml.safe_dump(toc(pages), sort_keys=False, allow_unicode=True))
    for stale in [p for p in SRC.rglob("*") if p.is_file() and p.relative_to(SRC).as_posix() not in expected]:
        stale.unlink()  # a notebook renamed or removed since the last build
    return report


def build(clean: bool = False, quiet: bool = False) -> float:
    """Stage and build the site into ``HTML``; returns the seconds it took. Raises on a Sphinx error."""
    start = time.perf_counter()
    if clean:
        shutil.rmtree(SITE, ignore_errors=True)
    report = stage()
    jupyter_book = [sys.executable, "-c", "from jupyter_book.cli.main import main; main()"]  # this Python's
    subprocess.run([*jupyter_book, "config", "sphinx", str(SRC)], check=True, capture_output=True)
    conf = (SRC / "conf.py").read_text(encoding="utf-8")
    (SRC / "conf.py").write_text(conf + CONF_AFTER, encoding="utf-8")
    command = [sys.executable, "-m", "sphinx", "-b", "html", "--keep-going", "-q", "-d", str(SITE / "doctrees"),
               str(SRC), str(HTML)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0 or result.stderr.strip():
        raise RuntimeError(f"sphinx-build failed or warned ({result.returncode}):\n{result.stderr}{result.stdout[-3000:]}")
    seconds = time.perf_counter() - start
    if not quiet:
        for name, counts in report.items():
            changed = ", ".join(f"{key}: {value}" for key, value in counts.items() if value)
            print(f"  {name}{': ' + changed if changed else ''}")
        print(f"site built in {seconds:.1f} s: {HTML.relative_to(ROOT) / 'index.html'}")
    return seconds


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clean", action="store_true", help="remove build/site first (no cached pages)")
    args = parser.parse_args(argv)
    build(clean=args.clean)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


__all__ = ["HTML", "SITE", "SRC", "build", "landing_page", "notebook_paths", "site_notebook", "stage"]
