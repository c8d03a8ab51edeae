r"""No measured number stands typed in a notebook's Markdown (issue 26).

A number typed into prose goes stale the moment a rerun, another machine or a later change measures
something else; it has happened (a summary's "slope about 2.6" over a printed 2.4, "a few µs" over a
printed 14 µs). The rule: a measured number is printed by code (a print, an f-string, an assert's
message), or the prose gives a range that the code asserts ("asserted above 2.4").

What counts as typed and measured, in a Markdown cell (solutions and hints included):

- a number with a unit of time, information or ratio after it: ``14 µs``, ``0.7 s``, ``2.6 nats``,
  ``3.0 bits``, ``65x``, ``72 ×``, ``40%``;
- a number shortly after a word that announces a measurement: ``measured``, ``about``, ``took``,
  ``takes``, ``roughly``, ``around``, ``≈``, ``~`` (``measured slope about 2.6``), or shortly before
  ``measured`` (``slope 1.3 measured``);

unless a word of a bound stands just before it (``under``, ``over``, ``below``, ``above``, ``within``,
``than``, ``least``, ``most``, ``between``, ``asserted``, or ``<``, ``>``, ``\le``, ...): that is a range,
which the notebook must assert. A heuristic: it cannot see numbers in words ("about four standard errors")
or a measured range typed as a bound; the reading audit of issue 26 covered those by hand.

Numbers the prose may state are constants with a source, listed in ``EXCEPTIONS`` with it (a value from
the slides or a paper, a closed form, a setting of the code such as a step count). Each exception is a
phrase that must still occur in its notebook, so a stale one fails too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]*_*.ipynb"))

_NUMBER = r"(?<![\w.^{_\\])\d+(?:[.,]\d+)*"
_UNIT = r"(?:\s?(?:µs|us|ms|ns|s|sec|seconds?|min|minutes?|hours?|nats?|bits?)\b|\s?(?:×|%)|x\b)"
_ANNOUNCE = r"(?:\bmeasured|\babout|\btook|\btakes|\broughly|\baround|≈|~)"
TYPED = re.compile(rf"(?P<a>{_NUMBER})\$?{_UNIT}|{_ANNOUNCE}(?:[^\S\n]+[^\W\d]+){{0,3}}[^\S\n]*\$?(?P<b>{_NUMBER})"
                   rf"|(?P<c>{_NUMBER})\$?,?(?:[^\S\n]+[^\W\d]+)?[^\S\n]+measured\b")
# A bound among the three words before the number makes it a range ("asserted between 0.6 and 1.5").
BOUND = re.compile(r"(?:\b(?:under|over|below|above|within|than|least|most|between|asserted)\b(?:\W+\S+){0,2}\W*"
                   r"|(?:<|>|≤|≥|\\leq?|\\geq?|\\lt|\\gt)\s*)$")

# (notebook, phrase, source): phrases the test leaves alone, each a constant and not a measurement.
EXCEPTIONS = [
    ("01_change_of_variables", "the histogram about 0.", "a reflection about the point 0, not a measurement"),
    ("03_nice", "uniform model ($4.09$ bits per dimension)", "log₂ 17: the uniform model on 17 pixel levels"),
    ("03_nice", "4.4 bits/dim, a log-likelihood of 1980 nats", "NICE paper (Dinh et al. 2014), MNIST results"),
    ("04_realnvp", "$2\\log 10 = 4.61$ nats", "2 ln 10, a closed form"),
    ("04b_realnvp_on_images", "a log-likelihood of 1980.50\nnats on MNIST, about 4.36 bits per dimension",
     "NICE paper (Dinh et al. 2014), MNIST, converted to this dequantization"),
    ("04b_realnvp_on_images", "reported at about 1.06 bits per\ndimension", "FFJORD paper (Grathwohl et al. 2019), "
     "RealNVP on MNIST"),
    ("08_playground", "trains for about 0.1 s", "the playground's chunk length, a setting of its code"),
]


def typed_numbers(markdown: str) -> list[str]:
    """The typed measured numbers of one Markdown text, each with the words around it."""
    found = []
    for match in TYPED.finditer(markdown):
        number_at = next(match.start(g) for g in "abc" if match.group(g) is not None)
        if BOUND.search(markdown[max(number_at - 40, 0):number_at]):
            continue
        start, end = max(match.start() - 40, 0), min(match.end() + 20, len(markdown))
        found.append(" ".join(markdown[start:end].split()))
    return found


def _markdown_cells(path: Path) -> list[tuple[str, str]]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [(c.get("id", "?"), "".join(c["source"]) if isinstance(c["source"], list) else c["source"])
            for c in cells if c["cell_type"] == "markdown"]


def _excused(stem: str, source: str) -> str:
    for notebook, phrase, _ in EXCEPTIONS:
        if notebook == stem:
            source = source.replace(phrase, " " * len(phrase))
    return source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_typed_measured_number(path):
    stem = path.stem
    hits = [f"cell {cell_id}: …{snippet}…" for cell_id, source in _markdown_cells(path)
            for snippet in typed_numbers(_excused(stem, source))]
    assert not hits, (f"{path.name}: a measured number typed in Markdown goes stale; print it from code, or give "
                      "a range that an assert checks (or, for a constant, add it to EXCEPTIONS with its source):\n"
                      + "\n".join(hits))


def test_every_exception_is_still_needed():
    texts = {p.stem: "\n".join(source for _, source in _markdown_cells(p)) for p in NOTEBOOKS}
    stale = [(notebook, phrase) for notebook, phrase, _ in EXCEPTIONS
             if phrase not in texts.get(notebook, "") or not typed_numbers(phrase)]
    assert not stale, f"exceptions whose phrase is gone from the notebook or holds no typed number: {stale}"


@pytest.mark.parametrize("sentence", [
    "At $n = 2048$ that takes a few µs; here 14 µs.",
    "The summary says measured slope about 2.6 for LU.",
    "on 16 cores a parallel LU hides the $n^3$, slope 1.3 measured",
    "The student samples about 65x faster.",
    "Sampling took 0.7 s on this machine.",
    "NICE scores 3.02 bits per dimension.",
    "a held-out NLL of 2.15 nats",
    "the ratio is ≈ 3133 here",
    "40% of the digits",
    "a speed-up of 72.7 ×",
])
def test_a_planted_typed_number_is_found(sentence):
    assert typed_numbers(sentence), sentence


@pytest.mark.parametrize("sentence", [
    "The assert asks for more than 2.4, which an $O(n^2)$ method fails.",
    "800 Adam steps of 256 points, the fastest of 5 runs.",
    "a $2\\times 2$ matrix, $x_1 = z_1$, 8x8 digits, 28x28 pixels",
    "the image of a square of side $\\varepsilon$ has area $\\varepsilon^2$",
    "Its time is printed below.",
    "where $p > 0$ but $q \\approx 0$; $n$ up to $2^{20} \\approx 10^6$",
    "the student within 0.05 nats of the teacher (asserted under 0.05 nats); a slope asserted between 0.6 and 1.5",
    "it grows from under 60% to over 65%, more than 0.1 bits per dimension",
    "We assert $\\mathrm{KL} < 0.02$ nats, $|q(A) - p(A)| \\le 0.1$",
])
def test_an_untyped_sentence_passes(sentence):
    assert not typed_numbers(sentence), typed_numbers(sentence)
