"""What the playground page says and shows (issue 30, item 5): a refused setting stays said while training
redraws the status line, and no panel title is cut off at the figure's edge."""

from __future__ import annotations

import asyncio

import pytest

from flowlib import TARGETS, TOYS
from flowlib.lessons.n08_playground.session import MODELS, Session, Settings
from flowlib.lessons.n08_playground.views import MIN_FRAME_S, Playground, PlaygroundView


def test_an_empty_word_typed_while_training_stays_said():
    app = Playground(Settings(layers=2, hidden=16))
    app.data.value = "word"

    async def scenario():
        app.train()
        await asyncio.sleep(0.5)
        assert app.running
        app.word.value = ""  # refused: the model keeps its word
        frames = app.frames
        said, start = [], asyncio.get_running_loop().time()
        while app.frames < frames + 2 and asyncio.get_running_loop().time() - start < 20:  # two frames, each redrawing
            await asyncio.sleep(0.1)  # the status line (a frame every MIN_FRAME_S or more on a loaded machine)
            said.append("non-empty word" in app.status.value)
        assert app.frames >= frames + 2, "training drew no frames in 20 s: the test saw no redraw of the status line"
        assert all(said), f"the error was overwritten by the status line (seen {said}, frames every {MIN_FRAME_S} s)"
        assert "training, step" in app.status.value and app.session.settings.word == "flow"
        app.word.value = "ab"  # a valid word: the error goes
        await asyncio.sleep(0.3)
        assert "non-empty" not in app.status.value and app.session.settings.word == "ab"
        app.pause()
        await app.task

    asyncio.run(scenario())


STAGES = [(model, data) for model in MODELS for data in (TARGETS[:1] if model == "IAF" else [TOYS[0], "word"])]


@pytest.mark.parametrize("model, data", STAGES, ids=[f"{m}-{d}" for m, d in STAGES])
def test_no_panel_text_is_cut_off(model, data):
    """The figure's tight bounding box (every title and text drawn) lies inside the figure: nothing is cut
    at the right edge, as the IAF's loss title was ("reverse KL - log Z (nats), floor -log Z")."""
    view = PlaygroundView()
    view.update(session=Session(Settings(model=model, data=data, word="abcdefghijkl", layers=2, hidden=8)))
    fig = view.fig
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    cut = []
    for ax in fig.axes:
        for text in [ax.title, *ax.texts]:
            box = text.get_window_extent(renderer)
            if text.get_text() and (box.x0 < 0 or box.x1 > fig.bbox.x1 or box.y0 < 0 or box.y1 > fig.bbox.y1):
                cut.append(f"{text.get_text()!r}: x {box.x0:.0f}..{box.x1:.0f}, figure 0..{fig.bbox.x1:.0f}")
    tight = fig.get_tightbbox(renderer)
    inside = fig.bbox_inches
    assert cut == []
    assert tight.x0 >= inside.x0 and tight.x1 <= inside.x1 and tight.y0 >= inside.y0 and tight.y1 <= inside.y1, tight
